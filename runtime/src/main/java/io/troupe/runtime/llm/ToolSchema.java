package io.troupe.runtime.llm;

/** A tool as offered to a model: name, description, and its parameters as a JSON Schema (JSON text). */
public record ToolSchema(String name, String description, String parametersJsonSchema) {}
