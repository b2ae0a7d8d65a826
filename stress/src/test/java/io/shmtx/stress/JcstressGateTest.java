package io.shmtx.stress;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;

import org.junit.jupiter.api.Test;

/**
 * {@link JcstressGate}'s reading of jcstress output, on lines as jcstress 0.16 prints them.
 */
class JcstressGateTest
{
    /** The tail of a passing run of six tests, two of them interesting (abridged). */
    private static final List<String> PASSING_RUN = List.of(
        "  Scheduling classes for matching tests:",
        "    2 actors:",
        "      (PG 0, CG 0), (PG 0, CG 1)",
        "(Results: 108 planned; 108 passed, 0 failed, 0 soft errs, 0 hard errs)",
        "",
        "RUN RESULTS:",
        "  Interesting tests: 2 matching test results.",
        "",
        ".......... [OK] io.shmtx.stress.Barriers_01_MessagePassingPlain",
        "  RESULT      SAMPLES     FREQ       EXPECT  DESCRIPTION",
        "    1, 0       34,636   <0.01%  Interesting  Flag seen, data not: plain accesses reordered",
        "",
        "  Failed tests: No matches.",
        "",
        "  Error tests: No matches.",
        "",
        "  All remaining tests: 4 matching test results. Use -v to print them.",
        "",
        "  HTML report generated at /tmp/jcstress-results/index.html");

    @Test
    void aPassingRunPassesWithItsTestsCounted()
    {
        final JcstressGate.Verdict verdict = feed(PASSING_RUN);

        assertEquals(6, verdict.results);
        assertEquals(new JcstressGate.Judgement(0, "passed, 6 test results for 6 selected tests"), verdict.judge(0, 6));
    }

    @Test
    void aNonZeroExitFailsWithItsCode()
    {
        assertEquals(1, feed(PASSING_RUN).judge(1, 6).status());
    }

    @Test
    void noMatchingTestsFailsAlthoughJcstressExitsZero()
    {
        final JcstressGate.Verdict verdict = feed(List.of(
            "  Scheduling classes for matching tests:",
            "      No scheduling is possible, these tests would not run.",
            "FATAL: No matching tests."));

        final JcstressGate.Judgement judgement = verdict.judge(0, 1);

        assertEquals(3, judgement.status());
        assertTrue(judgement.reason().contains("FATAL: No matching tests."), judgement.reason());
    }

    @Test
    void aRunWithoutReportFails()
    {
        assertEquals(4, feed(PASSING_RUN.subList(0, 4)).judge(0, 6).status());
    }

    @Test
    void fewerResultsThanSelectedTestsFails()
    {
        final JcstressGate.Judgement judgement = feed(PASSING_RUN).judge(0, 7);

        assertEquals(5, judgement.status());
        assertEquals("the report has 6 test results for 7 selected tests", judgement.reason());
    }

    @Test
    void summaryLikeLinesBeforeTheReportAreNotCounted()
    {
        final JcstressGate.Verdict verdict = feed(List.of(
            "  Interesting tests: 9 matching test results.",
            "RUN RESULTS:",
            "  All remaining tests: 1 matching test results."));

        assertEquals(1, verdict.results);
    }

    @Test
    void theLastTestFilterIsTheOneJcstressUses()
    {
        assertEquals(".*", JcstressGate.testFilter(new String[] {"-m", "quick"}));
        assertEquals("b", JcstressGate.testFilter(new String[] {"-t", "a", "-m", "quick", "-t", "b"}));
        assertEquals(".*", JcstressGate.testFilter(new String[] {"-m", "-t"}));
    }

    private static JcstressGate.Verdict feed(final List<String> lines)
    {
        final JcstressGate.Verdict verdict = new JcstressGate.Verdict();
        lines.forEach(verdict::accept);
        return verdict;
    }
}
