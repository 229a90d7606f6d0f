package io.troupe.runtime.llm;

import io.troupe.runtime.CborSerializable;

/** A model's request to call a tool: the call id the provider gave it, the tool, its arguments as JSON text. */
public record ToolCall(String id, String name, String argumentsJson) implements CborSerializable {}
