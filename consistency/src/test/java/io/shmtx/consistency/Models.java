package io.shmtx.consistency;

import java.util.Arrays;
import java.util.stream.Stream;

/** The models a behavioural suite runs over (every one). */
final class Models
{
    private Models()
    {
    }

    static Stream<ConsistencyModel> implemented()
    {
        return Arrays.stream(ConsistencyModel.values());
    }
}
