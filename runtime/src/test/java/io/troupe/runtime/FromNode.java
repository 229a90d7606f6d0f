package io.troupe.runtime;

import java.lang.annotation.ElementType;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;

/**
 * Marks a static field that a node extension ({@link TroupeNodeTest}, or the HTTP one in
 * http-api) sets before the class's own {@code @BeforeAll} methods run: the node, or something
 * taken from it (its HTTP client, every node of a cluster), chosen by the field's type.
 */
@Target(ElementType.FIELD)
@Retention(RetentionPolicy.RUNTIME)
public @interface FromNode {}
