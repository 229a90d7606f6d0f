package io.troupe.http;

import com.fasterxml.jackson.databind.JsonNode;

/**
 * A person's answer to something held for approval (a session's tool call, a spectrum request
 * that would preempt): {@code {"approve": true|false, "comment": "..."?}}.
 */
record ApprovalBody(boolean approve, String comment) {

  /** Comments are kept (journal, audit) up to this many characters. */
  static final int MAX_COMMENT = 1000;

  /** The answer, or null when {@code errors} holds why not; {@code approving} says what true does. */
  static ApprovalBody read(JsonNode body, String approving, FieldErrors errors) {
    JsonNode approve = body.get("approve");
    if (approve == null || !approve.isBoolean()) {
      errors.add("approve", "is required: true to " + approving + ", false to reject it");
    }
    String comment = errors.optionalText(body, "comment", MAX_COMMENT);
    return errors.any() ? null : new ApprovalBody(approve.booleanValue(), comment);
  }
}
