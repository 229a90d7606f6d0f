package io.troupe.http;

import com.fasterxml.jackson.databind.JsonNode;
import io.troupe.runtime.StorableText;
import io.troupe.runtime.agent.AgentDefinition;
import io.troupe.runtime.broker.TopicNames;
import io.troupe.runtime.llm.ScriptedProvider;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;

/** Reads and validates agent definitions and session requests, naming every bad field. */
final class AgentBodies {

  private AgentBodies() {}

  /** PUT /api/v1/agents/{name}; null when {@code errors} holds why not. */
  static AgentDefinition definition(JsonNode body, Set<String> tools, Set<String> providers, FieldErrors errors) {
    String role = errors.requiredText(body, "role", 500);
    String systemPrompt = errors.optionalText(body, "systemPrompt", 50_000);
    String provider = errors.requiredText(body, "provider", 64);
    if (provider != null && !errors.has("provider") && !providers.contains(provider)) {
      errors.add("provider", "unknown provider '" + provider + "'; known: " + providers);
    }
    boolean scripted = ScriptedProvider.NAME.equals(provider);
    String model = scripted ? orDefault(errors.optionalText(body, "model", 200), "script")
        : errors.requiredText(body, "model", 200);
    double temperature = errors.number(body, "temperature", 0.0, 0, false, 2);
    long maxIterations = optionalInt(body, "maxIterations", AgentDefinition.DEFAULT_MAX_ITERATIONS, 1, 100, errors);
    long toolTimeout = optionalInt(body, "toolTimeoutSeconds", AgentDefinition.DEFAULT_TOOL_TIMEOUT_SECONDS, 1, 3600, errors);
    List<String> toolNames = names(body, "tools", errors, name -> tools.contains(name) ? null
        : "unknown tool '" + name + "'; known: " + tools);
    List<String> subscriptions = names(body, "subscriptions", errors, name -> TopicNames.problem(name).orElse(null));
    List<AgentDefinition.ScriptedReply> script = script(body, scripted, errors);
    boolean conversational = errors.optionalBoolean(body, "conversational");
    List<String> approvalRequired = names(body, "approvalRequired", errors, name ->
        AgentDefinition.ANY_TOOL.equals(name) || toolNames.contains(name) ? null
            : "'" + name + "' is not one of this agent's tools " + toolNames + " (or \"*\" for all of them)");
    // 0 (what a definition stored before these fields reads back as): the default timeout, the model's own window.
    long approvalTimeout = zeroOr(body, "approvalTimeoutSeconds", AgentDefinition.DEFAULT_APPROVAL_TIMEOUT_SECONDS,
        1, 7 * 24 * 3600, errors);
    long window = zeroOr(body, "contextWindowTokens", 0, 1024, 10_000_000, errors);
    if (errors.any()) {
      return null;
    }
    return new AgentDefinition(role, systemPrompt, provider, model, temperature, (int) maxIterations, (int) toolTimeout,
        toolNames, subscriptions, script, conversational, approvalRequired, (int) approvalTimeout, (int) window);
  }

  /** POST /api/v1/sessions/{id}/messages: {"input"}. */
  static String messageInput(JsonNode body, FieldErrors errors) {
    return errors.requiredText(body, "input", 100_000);
  }



  /** POST /api/v1/agents/{name}/sessions: {"input", "userId"?} (userId defaults to the caller). */
  record SessionRequest(String input, String userId) {}

  static SessionRequest sessionRequest(JsonNode body, FieldErrors errors) {
    String input = errors.requiredText(body, "input", 100_000);
    String userId = errors.optionalText(body, "userId", 255);
    return errors.any() ? null : new SessionRequest(input, userId);
  }

  /** PUT's {@code "shared"}: whether every user may run the agent (default false: its owner's alone). */
  static boolean shared(JsonNode body, FieldErrors errors) {
    return errors.optionalBoolean(body, "shared");
  }

  /** {@link #optionalInt}, where 0 is also accepted (it means the default). */
  private static long zeroOr(JsonNode body, String field, long defaultValue, long min, long max, FieldErrors errors) {
    JsonNode value = body.get(field);
    if (value != null && value.isIntegralNumber() && value.asLong() == 0) {
      return 0;
    }
    return optionalInt(body, field, defaultValue, min, max, errors);
  }

  private static long optionalInt(JsonNode body, String field, long defaultValue, long min, long max, FieldErrors errors) {
    return body.hasNonNull(field) ? errors.requiredLong(body, field, min, max) : defaultValue;
  }

  private static List<String> names(JsonNode body, String field, FieldErrors errors,
                                    java.util.function.Function<String, String> problem) {
    List<String> out = new ArrayList<>();
    JsonNode array = body.get(field);
    if (array == null || array.isNull()) {
      return out;
    }
    if (!array.isArray() || array.size() > 100) {
      errors.add(field, "must be an array of at most 100 names");
      return out;
    }
    for (int i = 0; i < array.size(); i++) {
      JsonNode n = array.get(i);
      String path = field + "[" + i + "]";
      if (!n.isTextual()) {
        errors.add(path, "must be a string");
        continue;
      }
      String p = problem.apply(n.textValue());
      if (p != null) {
        errors.add(path, p);
      } else if (!out.contains(n.textValue())) {
        out.add(n.textValue());
      }
    }
    return out;
  }

  /** The scripted provider's replies: required with it, refused without it. */
  private static List<AgentDefinition.ScriptedReply> script(JsonNode body, boolean scripted, FieldErrors errors) {
    JsonNode array = body.get("script");
    List<AgentDefinition.ScriptedReply> out = new ArrayList<>();
    if (array == null || array.isNull()) {
      if (scripted) {
        errors.add("script", "is required with the scripted provider: the replies it returns, in order");
      }
      return out;
    }
    if (!scripted) {
      errors.add("script", "is only for the scripted provider (tests and demos)");
      return out;
    }
    if (!array.isArray() || array.isEmpty() || array.size() > 100) {
      errors.add("script", "must be an array of 1 to 100 replies");
      return out;
    }
    for (int i = 0; i < array.size(); i++) {
      JsonNode reply = array.get(i);
      String path = "script[" + i + "]";
      if (!reply.isObject()) {
        errors.add(path, "must be an object with text, toolCalls, or both");
        continue;
      }
      String text = reply.hasNonNull("text") && reply.get("text").isTextual() ? reply.get("text").textValue() : null;
      if (reply.hasNonNull("text") && text == null) {
        errors.add(path + ".text", "must be a string");
      }
      List<AgentDefinition.ScriptedToolCall> calls = new ArrayList<>();
      JsonNode toolCalls = reply.get("toolCalls");
      if (toolCalls != null && !toolCalls.isNull()) {
        if (!toolCalls.isArray()) {
          errors.add(path + ".toolCalls", "must be an array");
        } else {
          for (int j = 0; j < toolCalls.size(); j++) {
            JsonNode call = toolCalls.get(j);
            String callPath = path + ".toolCalls[" + j + "]";
            if (!call.isObject() || !call.hasNonNull("name") || !call.get("name").isTextual()) {
              errors.add(callPath + ".name", "is required");
              continue;
            }
            JsonNode args = call.get("arguments");
            if (args != null && !args.isNull() && !args.isObject()) {
              errors.add(callPath + ".arguments", "must be an object");
              continue;
            }
            // GET answers the arguments as "argumentsJson" (JSON text): accept that too, so a
            // definition read back can be PUT back without silently losing its arguments.
            JsonNode argsText = call.get("argumentsJson");
            if (argsText != null && !argsText.isNull()) {
              if (args != null && !args.isNull()) {
                errors.add(callPath + ".argumentsJson", "give arguments or argumentsJson, not both");
                continue;
              }
              args = argumentsFromText(argsText);
              if (args == null) {
                errors.add(callPath + ".argumentsJson", "must be a string holding a JSON object");
                continue;
              }
              // The edge checked the body, but escapes inside this text decode only now.
              var surrogate = StorableText.loneSurrogateIn(args);
              if (surrogate.isPresent()) {
                errors.add(callPath + ".argumentsJson", "holds " + StorableText.describe(surrogate.get()));
                continue;
              }
            }
            calls.add(new AgentDefinition.ScriptedToolCall(call.get("name").textValue(),
                args == null || args.isNull() ? "{}" : args.toString()));
          }
        }
      }
      if (text == null && calls.isEmpty()) {
        errors.add(path, "needs text, toolCalls, or both");
      }
      out.add(new AgentDefinition.ScriptedReply(text, calls));
    }
    return out;
  }

  /** The object a tool call's {@code argumentsJson} text holds, or null when it holds none. */
  private static JsonNode argumentsFromText(JsonNode text) {
    if (!text.isTextual()) {
      return null;
    }
    try {
      JsonNode parsed = Json.MAPPER.readTree(text.textValue());
      return parsed != null && parsed.isObject() ? parsed : null;
    } catch (java.io.IOException e) {
      return null;
    }
  }

  private static String orDefault(String value, String fallback) {
    return value == null ? fallback : value;
  }
}
