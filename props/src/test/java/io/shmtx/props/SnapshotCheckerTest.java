package io.shmtx.props;

import static io.shmtx.props.Anomaly.Kind.*;
import static io.shmtx.props.HandMade.*;
import static org.junit.jupiter.api.Assertions.*;

import io.shmtx.props.Anomaly.Kind;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.List;
import java.util.Random;

import org.junit.jupiter.api.Test;

/**
 * The snapshot checker on histories built by hand: snapshot-consistent ones pass (a write skew
 * among them: CAUSAL allows it), and each way a view can fail to be one snapshot is flagged by
 * name. Two or three objects, X = 0, Y = 1, Z = 2, each starting as {@code [counter 0, balance 100, 0]}.
 */
class SnapshotCheckerTest
{
    private static final int X = 0;
    private static final int Y = 1;
    private static final int Z = 2;

    /** A transaction of one attempt that ran from {@code begin} to {@code end}. */
    private static TxRecord tx(final String id, final long begin, final long end, final Program program, final long[]... reads)
    {
        return new TxRecord(id, program, Arrays.asList(reads), 1, begin, end);
    }

    private static List<Anomaly> check(final long[][] finalState, final List<List<TxRecord>> streams)
    {
        return SnapshotChecker.check(PropsFixture.initialState(finalState.length), streams, finalState);
    }

    private static void assertFlagged(final Kind kind, final List<Anomaly> anomalies)
    {
        assertTrue(anomalies.stream().anyMatch(a -> a.kind() == kind), () -> "expected " + kind + ", got:\n"
            + Anomaly.describe(anomalies));
    }

    @Test
    void aSnapshotHistoryPassesWhateverTheOrderOfItsStreams()
    {
        // w1 (stream a) transfers X to Y; r (stream b) read before it; w2 (stream b) adds to Y after
        // reading w1's Y; r2 (stream c) reads all three after both, overlapping nothing that it misses
        final List<List<TxRecord>> streams = new ArrayList<>(List.of(
            List.of(tx("w1", 10, 20, program(transfer(X, Y, 30)), words(0, 100), words(0, 100))),
            List.of(tx("r", 1, 15, program(read(X), read(Y)), words(0, 100), words(0, 100)),
                tx("w2", 21, 30, program(add(Y, 5)), words(1, 130))),
            List.of(tx("r2", 31, 40, program(read(X), read(Y), read(Z)), words(1, 70), words(2, 135), words(0, 100)))));
        final long[][] finalState = {words(1, 70), words(2, 135), words(0, 100)};
        final Random random = new Random(7);
        for (int shuffle = 0; shuffle < 10; shuffle++)
        {
            Collections.shuffle(streams, random);
            assertEquals(List.of(), check(finalState, streams), streams.toString());
        }
    }

    @Test
    void aWriteSkewIsASnapshotHistory()
    {
        // both read X and Y from the initial snapshot, each wrote the one the other did not: not
        // serializable, but each read one snapshot and they wrote different objects
        final List<List<TxRecord>> streams = List.of(
            List.of(tx("a", 1, 10, program(read(Y), add(X, -50)), words(0, 100), words(0, 100))),
            List.of(tx("b", 2, 11, program(read(X), add(Y, -50)), words(0, 100), words(0, 100))));
        final long[][] finalState = {words(1, 50), words(1, 50)};
        assertEquals(List.of(), check(finalState, streams));
        final List<TxRecord> all = new ArrayList<>();
        streams.forEach(all::addAll);
        assertEquals(List.of(CYCLE), HistoryChecker.check(PropsFixture.initialState(2), all, finalState).stream()
            .map(Anomaly::kind).toList());
    }

    @Test
    void anAuditThatSeesHalfATransferIsFlagged()
    {
        // the audit saw the transfer's X (70) and the Y before it (100): a total of 170, not 200
        final List<Anomaly> anomalies = check(new long[][] {words(1, 70), words(1, 130)}, List.of(
            List.of(tx("w", 1, 10, program(transfer(X, Y, 30)), words(0, 100), words(0, 100))),
            List.of(tx("audit", 2, 9, program(read(X), read(Y)), words(1, 70), words(0, 100)))));
        assertEquals(List.of(NOT_A_SNAPSHOT), anomalies.stream().map(Anomaly::kind).toList(), Anomaly.describe(anomalies));
        final String detail = anomalies.get(0).detail();
        assertTrue(detail.contains("commit of w -wr(object 0 v1)-> snapshot of audit")
            && detail.contains("snapshot of audit -rw(object 1 v1)-> commit of w"), detail);
    }

    @Test
    void aViewThatHoldsATransactionButNotOneItReadFromIsFlagged()
    {
        // w2 read w1's X before writing Y: a snapshot holding w2 holds w1, yet r saw w2's Y with the old X
        final List<Anomaly> anomalies = check(new long[][] {words(1, 105), words(1, 105)}, List.of(
            List.of(tx("w1", 1, 10, program(add(X, 5)), words(0, 100))),
            List.of(tx("w2", 2, 11, program(read(X), add(Y, 5)), words(1, 105), words(0, 100))),
            List.of(tx("r", 3, 12, program(read(Y), read(X)), words(1, 105), words(0, 100)))));
        assertFlagged(NOT_A_SNAPSHOT, anomalies);
    }

    @Test
    void twoReadsCutAtDifferentPointsOfTheCommitOrderAreFlagged()
    {
        // w1 and then w2 (its session) wrote X and Y; r saw w2's Y but not w1's X
        final List<Anomaly> anomalies = check(new long[][] {words(1, 105), words(1, 105)}, List.of(
            List.of(tx("w1", 1, 2, program(add(X, 5)), words(0, 100)),
                tx("w2", 3, 4, program(add(Y, 5)), words(0, 100))),
            List.of(tx("r", 0, 9, program(read(X), read(Y)), words(0, 100), words(1, 105)))));
        assertFlagged(NOT_A_SNAPSHOT, anomalies);
    }

    @Test
    void aReadOfAValueOverwrittenBeforeTheTransactionBeganIsFlagged()
    {
        // w's commit returned at 10, r began at 11 and still saw the X before it: stale
        final List<List<TxRecord>> stale = List.of(
            List.of(tx("w", 1, 10, program(add(X, 5)), words(0, 100))),
            List.of(tx("r", 11, 20, program(read(X)), words(0, 100))));
        assertFlagged(NOT_A_SNAPSHOT, check(new long[][] {words(1, 105)}, stale));
        // begun before w's commit returned: an older snapshot is allowed
        final List<List<TxRecord>> overlapping = List.of(
            List.of(tx("w", 1, 10, program(add(X, 5)), words(0, 100))),
            List.of(tx("r", 10, 20, program(read(X)), words(0, 100))));
        assertEquals(List.of(), check(new long[][] {words(1, 105)}, overlapping));
    }

    @Test
    void aTransactionThatDoesNotSeeItsSessionsEarlierCommitIsFlagged()
    {
        final List<Anomaly> anomalies = check(new long[][] {words(1, 105)}, List.of(
            List.of(tx("w", 0, 0, program(add(X, 5)), words(0, 100)), tx("r", 0, 0, program(read(X)), words(0, 100)))));
        assertFlagged(NOT_A_SNAPSHOT, anomalies);
    }

    @Test
    void aLostUpdateIsFlagged()
    {
        // concurrent, both from version 0 of X: first committer wins forbids the second commit
        final List<Anomaly> anomalies = check(new long[][] {words(1, 105)}, List.of(
            List.of(tx("a", 1, 10, program(add(X, 5)), words(0, 100))),
            List.of(tx("b", 2, 11, program(add(X, 5)), words(0, 100)))));
        assertFlagged(LOST_UPDATE, anomalies);
    }

    @Test
    void aReadOnlyTransactionThatAbortedIsFlagged()
    {
        final List<Anomaly> anomalies = check(new long[][] {words(0, 100)}, List.of(
            List.of(new TxRecord("r", program(read(X)), List.of(words(0, 100)), 2, 1, 2))));
        assertEquals(List.of(READ_ONLY_ABORTED), anomalies.stream().map(Anomaly::kind).toList());
    }

    @Test
    void aTornReadAndAnUncommittedReadAreFlagged()
    {
        final long[][] finalState = {words(1, 90), words(1, 110)};
        final List<TxRecord> writer = List.of(tx("w", 1, 10, program(transfer(X, Y, 10)), words(0, 100), words(0, 100)));
        assertFlagged(TORN_READ, check(finalState, List.of(writer,
            List.of(tx("r", 2, 9, program(read(X)), words(1, 100))))));
        assertFlagged(UNCOMMITTED_READ, check(finalState, List.of(writer,
            List.of(tx("r", 2, 9, program(read(X)), words(2, 80))))));
    }

    @Test
    void aFinalStateOtherThanTheLastCommittedOneIsFlagged()
    {
        final List<Anomaly> anomalies = check(new long[][] {words(1, 104)}, List.of(
            List.of(tx("a", 1, 2, program(add(X, 5)), words(0, 100)))));
        assertEquals(List.of(FINAL_STATE), anomalies.stream().map(Anomaly::kind).toList());
    }

    @Test
    void recordsKeepTheirAttemptsAndTimesInTheirTextForm()
    {
        final TxRecord record = new TxRecord("p0.3", program(read(Z)), List.of(words(4, 7)), 3, -12, 99);
        final TxRecord decoded = TxRecord.decode(record.encode());
        assertEquals(List.of(3, -12L, 99L), List.of(decoded.attempts(), decoded.begin(), decoded.end()));
    }
}
