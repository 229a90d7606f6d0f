package io.troupe.agents.spectrum;

/** Lifecycle of an approved allocation: active while APPROVED; then PREEMPTED, RELEASED or EXPIRED. */
public enum AllocationStatus { APPROVED, PREEMPTED, RELEASED, EXPIRED }
