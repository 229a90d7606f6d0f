/**
 * The domain built on the runtime: the spectrum {@code DeconflictionCoordinator}, its conflict
 * model and Rules of Engagement, and built-in agent definitions. Empty until those land; the
 * module exists now so the reactor's shape (and what may import what) is fixed from the start.
 */
package io.troupe.agents;
