package io.troupe.runtime.broker;

/** A topic and the offset of its newest message. */
public record TopicSummary(String topic, long lastOffset) {}
