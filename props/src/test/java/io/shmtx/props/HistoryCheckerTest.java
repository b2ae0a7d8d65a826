package io.shmtx.props;

import static io.shmtx.props.Anomaly.Kind.*;
import static io.shmtx.props.HandMade.*;
import static org.junit.jupiter.api.Assertions.*;

import io.shmtx.props.Anomaly.Kind;
import io.shmtx.props.Program.Op;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.List;
import java.util.SplittableRandom;

import org.junit.jupiter.api.Test;

/**
 * The checker on histories built by hand: serial ones pass (in any order of the list), and each
 * classic anomaly is flagged by name. Two objects, X = 0 and Y = 1, each starting as
 * {@code [counter 0, balance 100, 0]}.
 */
class HistoryCheckerTest
{
    private static final int X = 0;
    private static final int Y = 1;

    private static TxRecord tx(final String id, final Program program, final long[]... reads)
    {
        return new TxRecord(id, program, Arrays.asList(reads));
    }

    private static List<Anomaly> check(final long[][] finalState, final TxRecord... history)
    {
        return HistoryChecker.check(PropsFixture.initialState(2), List.of(history), finalState);
    }

    private static void assertFlagged(final Kind kind, final List<Anomaly> anomalies)
    {
        assertTrue(anomalies.stream().anyMatch(a -> a.kind() == kind), () -> "expected " + kind + ", got:\n"
            + Anomaly.describe(anomalies));
    }

    @Test
    void aSerialHistoryPassesInAnyOrderOfTheList()
    {
        final List<TxRecord> history = new ArrayList<>(List.of(
            tx("a", program(add(X, 5)), words(0, 100)),
            tx("b", program(transfer(X, Y, 30)), words(1, 105), words(0, 100)),
            tx("c", program(read(X), read(Y)), words(2, 75), words(1, 130)),
            tx("d", program(read(Y)), words(0, 100)), // read-only, before b: serializable
            tx("e", program(add(Y, -1), read(Y)), words(1, 130), words(1, 129))));
        final long[][] finalState = {words(2, 75), words(2, 129)};
        final SplittableRandom random = new SplittableRandom(7);
        for (int shuffle = 0; shuffle < 20; shuffle++)
        {
            Collections.shuffle(history, new java.util.Random(random.nextLong()));
            final List<Anomaly> anomalies = HistoryChecker.check(PropsFixture.initialState(2), history, finalState);
            assertEquals(List.of(), anomalies, history.toString());
        }
    }

    @Test
    void aLostUpdateIsFlagged()
    {
        // both read version 0 of X and wrote version 1: one increment vanished
        final List<Anomaly> anomalies = check(new long[][] {words(1, 105), words(0, 100)},
            tx("a", program(add(X, 5)), words(0, 100)),
            tx("b", program(add(X, 5)), words(0, 100)));
        assertFlagged(LOST_UPDATE, anomalies);
    }

    @Test
    void aWriteSkewIsFlaggedAsACycle()
    {
        // each read both, each wrote the one the other read: a -rw(Y)-> b -rw(X)-> a
        final List<Anomaly> anomalies = check(new long[][] {words(1, 50), words(1, 50)},
            tx("a", program(read(Y), add(X, -50)), words(0, 100), words(0, 100)),
            tx("b", program(read(X), add(Y, -50)), words(0, 100), words(0, 100)));
        assertEquals(1, anomalies.size(), Anomaly.describe(anomalies));
        assertFlagged(CYCLE, anomalies);
        assertTrue(anomalies.get(0).detail().contains("-rw(object"), anomalies.get(0).detail());
    }

    @Test
    void aTornReadIsFlagged()
    {
        // the reader saw the transfer's new counter of X with the old balance
        final List<Anomaly> anomalies = check(new long[][] {words(1, 90), words(1, 110)},
            tx("w", program(transfer(X, Y, 10)), words(0, 100), words(0, 100)),
            tx("r", program(read(X)), words(1, 100)));
        assertFlagged(TORN_READ, anomalies);
    }

    @Test
    void aFracturedReadOfOneTransactionsWritesIsFlaggedAsACycle()
    {
        // the reader saw the transfer's new X and the old Y: w -wr(X)-> r -rw(Y)-> w
        final List<Anomaly> anomalies = check(new long[][] {words(1, 90), words(1, 110)},
            tx("w", program(transfer(X, Y, 10)), words(0, 100), words(0, 100)),
            tx("r", program(read(X), read(Y)), words(1, 90), words(0, 100)));
        assertFlagged(CYCLE, anomalies);
    }

    @Test
    void aReadOfAVersionNoCommittedTransactionWroteIsFlagged()
    {
        // an aborted transfer's write leaked: no committed transaction made version 1 of X
        final List<Anomaly> anomalies = check(new long[][] {words(0, 100), words(0, 100)},
            tx("r", program(read(X)), words(1, 90)));
        assertFlagged(UNCOMMITTED_READ, anomalies);
    }

    @Test
    void aReadThatChangesWithinATransactionIsFlagged()
    {
        final List<Anomaly> anomalies = check(new long[][] {words(1, 90), words(1, 110)},
            tx("w", program(transfer(X, Y, 10)), words(0, 100), words(0, 100)),
            tx("r", program(read(X), read(X)), words(0, 100), words(1, 90)));
        assertFlagged(NON_REPEATABLE_READ, anomalies);
    }

    @Test
    void aTransactionThatDoesNotSeeItsOwnWriteIsFlagged()
    {
        final List<Anomaly> anomalies = check(new long[][] {words(1, 105), words(0, 100)},
            tx("a", program(add(X, 5), read(X)), words(0, 100), words(0, 100)));
        assertFlagged(NON_REPEATABLE_READ, anomalies);
    }

    @Test
    void aFinalStateOtherThanTheSerialOneIsFlagged()
    {
        final List<Anomaly> anomalies = check(new long[][] {words(1, 104), words(0, 100)},
            tx("a", program(add(X, 5)), words(0, 100)));
        assertEquals(List.of(FINAL_STATE), anomalies.stream().map(Anomaly::kind).toList());
    }

    @Test
    void aCommittedWriteMissingFromMemoryIsFlagged()
    {
        // b committed version 2 of X, but memory still holds version 1
        final List<Anomaly> anomalies = check(new long[][] {words(1, 105), words(0, 100)},
            tx("a", program(add(X, 5)), words(0, 100)),
            tx("b", program(add(X, 5)), words(1, 105)));
        assertFlagged(FINAL_STATE, anomalies);
    }

    @Test
    void aRecordThatDoesNotFitItsProgramIsFlagged()
    {
        final List<Anomaly> anomalies = check(new long[][] {words(0, 100), words(0, 100)},
            tx("r", program(read(X), read(Y)), words(0, 100)));
        assertFlagged(MALFORMED, anomalies);
    }

    @Test
    void recordsSurviveTheirTextForm()
    {
        final TxRecord record = new TxRecord("p1.7", new Program(List.of(transfer(X, Y, 10), add(Y, -3),
            new Op(Program.Kind.READ_BYTES, X, 0, 0, 0)), true), List.of(words(3, 90), words(2, 7), words(3, -4), words(3, 90)));
        final TxRecord decoded = TxRecord.decode(record.encode());
        assertEquals(record.id(), decoded.id());
        assertEquals(record.program(), decoded.program());
        assertEquals(record.reads().size(), decoded.reads().size());
        for (int r = 0; r < record.reads().size(); r++)
        {
            assertArrayEquals(record.reads().get(r), decoded.reads().get(r));
        }
    }
}
