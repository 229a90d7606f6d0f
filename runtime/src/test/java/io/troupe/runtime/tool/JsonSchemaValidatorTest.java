package io.troupe.runtime.tool;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Each supported keyword accepts what it should and names the path of what it rejects. */
class JsonSchemaValidatorTest {

  private static final ObjectMapper JSON = new ObjectMapper();

  private static JsonNode json(String text) {
    try {
      return JSON.readTree(text.replace('\'', '"'));
    } catch (Exception e) {
      throw new IllegalArgumentException(text, e);
    }
  }

  private static List<String> errors(String schema, String value) {
    return JsonSchemaValidator.validate(json(schema), json(value));
  }

  private static void passes(String schema, String value) {
    List<String> errors = errors(schema, value);
    assertTrue(errors.isEmpty(), () -> value + " should pass " + schema + " but got " + errors);
  }

  private static void failsWith(String schema, String value, String expected) {
    assertEquals(List.of(expected), errors(schema, value));
  }

  @Test
  void typeNamesEachJsonType() {
    passes("{'type':'object'}", "{}");
    passes("{'type':'string'}", "'x'");
    passes("{'type':'number'}", "1.5");
    passes("{'type':'number'}", "3");
    passes("{'type':'integer'}", "3");
    passes("{'type':'integer'}", "3.0");
    passes("{'type':'boolean'}", "false");
    passes("{'type':'array'}", "[]");
    passes("{'type':'null'}", "null");
    failsWith("{'type':'object'}", "[]", "$: must be of type object (was array)");
    failsWith("{'type':'string'}", "1", "$: must be of type string (was integer)");
    failsWith("{'type':'integer'}", "1.5", "$: must be of type integer (was number)");
    failsWith("{'type':'boolean'}", "'true'", "$: must be of type boolean (was string)");
    failsWith("{'type':'null'}", "0", "$: must be of type null (was integer)");
  }

  @Test
  void typeArrayAcceptsAnyOfItsTypes() {
    passes("{'type':['string','null']}", "null");
    passes("{'type':['string','null']}", "'a'");
    failsWith("{'type':['string','null']}", "7", "$: must be of type string or null (was integer)");
  }

  @Test
  void requiredNamesTheMissingProperty() {
    String schema = "{'type':'object','required':['topic','limit']}";
    passes(schema, "{'topic':'a','limit':1}");
    assertEquals(List.of("$.topic: is required", "$.limit: is required"), errors(schema, "{}"));
  }

  @Test
  void propertiesAreCheckedAtTheirPath() {
    String schema = "{'type':'object','properties':{'limit':{'type':'integer','maximum':1000}}}";
    passes(schema, "{'limit':1000}");
    failsWith(schema, "{'limit':1001}", "$.limit: must be at most 1000");
    failsWith(schema, "{'limit':'many'}", "$.limit: must be of type integer (was string)");
  }

  @Test
  void nestedPathsUseDotsBracketsAndQuotes() {
    String schema = "{'properties':{'a':{'properties':{'b':{'items':{'type':'string'}}}},"
        + "'odd key':{'type':'string'}}}";
    failsWith(schema, "{'a':{'b':['x',2]}}", "$.a.b[1]: must be of type string (was integer)");
    failsWith(schema, "{'odd key':1}", "$['odd key']: must be of type string (was integer)");
  }

  @Test
  void additionalPropertiesFalseRejectsUnknownOnes() {
    String schema = "{'type':'object','properties':{'topic':{}},'additionalProperties':false}";
    passes(schema, "{'topic':1}");
    failsWith(schema, "{'topic':1,'tpoic':2}", "$.tpoic: is not allowed (unknown property; allowed: topic)");
    passes("{'type':'object','properties':{'topic':{}}}", "{'extra':1}");
  }

  @Test
  void additionalPropertiesSchemaChecksUnknownOnes() {
    String schema = "{'type':'object','additionalProperties':{'type':'integer'}}";
    passes(schema, "{'a':1,'b':2}");
    failsWith(schema, "{'a':'x'}", "$.a: must be of type integer (was string)");
  }

  @Test
  void enumAndConstCompareJsonValues() {
    passes("{'enum':['low','high',1]}", "'high'");
    passes("{'enum':['low','high',1]}", "1.0");
    failsWith("{'enum':['low','high']}", "'mid'", "$: must be one of [\"low\",\"high\"]");
    passes("{'const':'x'}", "'x'");
    failsWith("{'const':'x'}", "'y'", "$: must be \"x\"");
  }

  @Test
  void numericBounds() {
    passes("{'minimum':1}", "1");
    failsWith("{'minimum':1}", "0.5", "$: must be at least 1");
    passes("{'maximum':2.5}", "2.5");
    failsWith("{'maximum':2.5}", "3", "$: must be at most 2.5");
    passes("{'exclusiveMinimum':0}", "0.001");
    failsWith("{'exclusiveMinimum':0}", "0", "$: must be greater than 0");
    passes("{'exclusiveMaximum':10}", "9");
    failsWith("{'exclusiveMaximum':10}", "10", "$: must be less than 10");
    failsWith("{'minimum':0,'exclusiveMinimum':true}", "0", "$: must be greater than 0");
    failsWith("{'maximum':5,'exclusiveMaximum':true}", "5", "$: must be less than 5");
    passes("{'minimum':1}", "'not a number: bounds do not apply'");
  }

  @Test
  void stringLengthsCountCharactersNotBytes() {
    passes("{'minLength':1,'maxLength':3}", "'é😀x'");
    failsWith("{'minLength':1}", "''", "$: must be at least 1 characters long (was 0)");
    failsWith("{'maxLength':3}", "'abcd'", "$: must be at most 3 characters long (was 4)");
  }

  @Test
  void patternIsSearchedUnlessAnchored() {
    passes("{'pattern':'b'}", "'abc'");
    passes("{'pattern':'^[a-z]+$'}", "'abc'");
    failsWith("{'pattern':'^[a-z]+$'}", "'abc!'", "$: must match the pattern ^[a-z]+$");
    failsWith("{'pattern':'('}", "'x'", "$: cannot be checked, the tool's schema has an invalid pattern");
  }

  @Test
  void itemsAndItemCounts() {
    String schema = "{'type':'array','items':{'type':'integer','minimum':0},'minItems':1,'maxItems':3}";
    passes(schema, "[0,1,2]");
    failsWith(schema, "[]", "$: must have at least 1 items (had 0)");
    failsWith(schema, "[1,2,3,4]", "$: must have at most 3 items (had 4)");
    failsWith(schema, "[1,-1]", "$[1]: must be at least 0");
  }

  @Test
  void everyErrorIsReportedUpToTheLimit() {
    String schema = "{'type':'object','required':['a'],'properties':{'b':{'type':'string'},'c':{'maximum':1}}}";
    assertEquals(List.of("$.a: is required", "$.b: must be of type string (was integer)", "$.c: must be at most 1"),
        errors(schema, "{'b':1,'c':2}"));
    List<String> many = errors("{'items':{'type':'string'}}", "[" + "1,".repeat(99) + "1]");
    assertEquals(JsonSchemaValidator.MAX_ERRORS, many.size());
  }

  @Test
  void unsupportedKeywordsAndEmptySchemasAcceptAnything() {
    passes("{}", "{'anything':[1,2,3]}");
    passes("{'anyOf':[{'type':'string'}],'format':'email','uniqueItems':true}", "[1,1]");
    passes("{'type':'object','properties':{'content':{}}}", "{'content':{'deep':[null,true]}}");
  }

  @Test
  void recursionIsBounded() {
    String schema = "{'type':'array','items':" .repeat(40) + "{}" + "}".repeat(40);
    String value = "[".repeat(40) + "]".repeat(40);
    List<String> errors = errors(schema, value);
    assertEquals(1, errors.size(), errors::toString);
    assertTrue(errors.get(0).endsWith(": is nested too deeply (more than 32 levels)"), errors.get(0));
    assertTrue(errors.get(0).startsWith("$" + "[0]".repeat(32)), errors.get(0));
  }
}
