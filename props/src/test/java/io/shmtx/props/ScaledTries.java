package io.shmtx.props;

import net.jqwik.api.lifecycle.AroundPropertyHook;
import net.jqwik.api.lifecycle.PropagationMode;
import net.jqwik.api.lifecycle.PropertyExecutionResult;
import net.jqwik.api.lifecycle.PropertyExecutor;
import net.jqwik.api.lifecycle.PropertyLifecycleContext;

/**
 * Multiplies a property's tries by the system property {@value #DEPTH} (default 1), so that the
 * build runs each property a bounded number of times and a deep CI run ({@code -Pdeep}, or
 * {@code -Dshmtx.props.depth=N}) many more, up to a property's {@link DeepCap}. Add it with
 * {@code @AddLifecycleHook(ScaledTries.class)} on a property or its class.
 *
 * <p>Threadsafe: stateless.
 */
public final class ScaledTries implements AroundPropertyHook
{
    /** The system property: a positive integer. */
    public static final String DEPTH = "shmtx.props.depth";

    /**
     * The multiplier.
     *
     * @return the value of {@value #DEPTH}, 1 when unset.
     * @throws IllegalArgumentException when it is set but not a positive integer.
     */
    static int depth()
    {
        final String value = System.getProperty(DEPTH, "1").trim();
        try
        {
            final int depth = Integer.parseInt(value);
            if (depth >= 1)
            {
                return depth;
            }
        }
        catch (final NumberFormatException ex)
        {
            // named below
        }
        throw new IllegalArgumentException(DEPTH + "=" + value + " is not a positive integer");
    }

    /** The {@link DeepCap} of the property, else of its class, else no cap. */
    private static int cap(final PropertyLifecycleContext context)
    {
        final DeepCap onMethod = context.targetMethod().getAnnotation(DeepCap.class);
        final DeepCap onClass = context.containerClass().getAnnotation(DeepCap.class);
        final DeepCap cap = onMethod != null ? onMethod : onClass;
        return cap == null ? Integer.MAX_VALUE : Math.max(1, cap.value());
    }

    /** Registered on a class, it applies to each property of the class and of its nested classes. */
    @Override
    public PropagationMode propagateTo()
    {
        return PropagationMode.ALL_DESCENDANTS;
    }

    @Override
    public PropertyExecutionResult aroundProperty(final PropertyLifecycleContext context, final PropertyExecutor property)
    {
        final int depth = Math.min(depth(), cap(context));
        context.attributes().tries().ifPresent(tries -> context.attributes().setTries(tries * depth));
        return property.execute();
    }
}
