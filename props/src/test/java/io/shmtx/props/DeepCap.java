package io.shmtx.props;

import java.lang.annotation.ElementType;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;

/**
 * Caps the multiplier {@link ScaledTries} applies to a property (or to every property of a
 * class): for properties whose tries are long, so that a deep run stays within its time budget.
 */
@Retention(RetentionPolicy.RUNTIME)
@Target({ElementType.METHOD, ElementType.TYPE})
public @interface DeepCap
{
    /**
     * The largest multiplier.
     *
     * @return a positive integer.
     */
    int value();
}
