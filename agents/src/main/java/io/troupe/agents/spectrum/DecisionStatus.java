package io.troupe.agents.spectrum;

/**
 * The answer to a request: APPROVED, DENIED (by the ROE) or CONFLICT (with higher or equal priority
 * users); PENDING_APPROVAL while a request that would preempt is held for an administrator (the
 * theater's ROE says {@code preemptionNeedsApproval}), and REJECTED when an administrator refused
 * such a request or nobody approved it in time. Constants are never renamed or removed: journals
 * hold them.
 */
public enum DecisionStatus { APPROVED, DENIED, CONFLICT, PENDING_APPROVAL, REJECTED }
