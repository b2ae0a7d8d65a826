package io.shmtx.cli;

import static io.shmtx.deadlock.LockTableDescriptor.*;

import io.shmtx.deadlock.LockManager;
import io.shmtx.pool.Handles;
import io.shmtx.pool.LeakEntry;
import io.shmtx.pool.TierStats;
import io.shmtx.pool.TieredPool;
import io.shmtx.pool.ValidationReport;
import io.shmtx.refcount.RefCounts;
import io.shmtx.region.OwnerDeathReport;
import io.shmtx.region.ProcessSlotInfo;
import io.shmtx.region.Region;
import io.shmtx.region.RegionDescriptor;
import io.shmtx.region.RegionException;
import io.shmtx.region.Section;
import io.shmtx.region.SectionSpec;

import java.io.PrintWriter;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.IntUnaryOperator;
import java.util.stream.Collectors;

import org.agrona.concurrent.AtomicBuffer;

import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/**
 * {@code shmtx soak-check FILE} (hidden, run by {@code soak} in a fresh JVM once every worker is
 * dead): attaches to the soak region (every other slot is dead: attaching must recover them),
 * recovers whatever is left, and checks that nothing leaked and nothing is held.
 *
 * <p>Prints one {@code CHECK name PASS|FAIL detail} line per check, a {@code RECOVERY} line per
 * slot it recovered, a {@code NUMBERS} line, and {@code CHECKS PASSED} (exit 0) or
 * {@code CHECKS FAILED n} (exit 1). Each check runs even when an earlier one failed, as far as
 * it can.
 *
 * <p>Not threadsafe: picocli fills one instance per command line.
 */
@Command(
    name = "soak-check",
    hidden = true,
    description = "Check a soak region once every worker is dead (started by shmtx soak).")
final class SoakCheckCommand implements Callable<Integer>
{
    static final String CHECK = "CHECK";
    static final String PASSED = "CHECKS PASSED";
    static final String FAILED = "CHECKS FAILED";
    static final String NUMBERS = "NUMBERS";
    static final String RECOVERY = "RECOVERY";
    private static final int SHOWN = 10;

    @Spec
    private CommandSpec spec;

    @Parameters(index = "0", paramLabel = "FILE", description = "Soak region file.")
    private Path file;

    private PrintWriter out;
    private int failed;

    /** A check that did not hold; its message is the detail printed. */
    private static final class CheckFailed extends RuntimeException
    {
        private static final long serialVersionUID = 1L;

        CheckFailed(final String message)
        {
            super(message, null, false, false);
        }
    }

    /** The body of a check: returns the detail of a pass, throws {@link CheckFailed} otherwise. */
    private interface Body
    {
        String run();
    }

    @Override
    public Integer call()
    {
        out = spec.commandLine().getOut();
        final Path real = RegionPaths.canonical(file);
        final List<OwnerDeathReport> reports = new CopyOnWriteArrayList<>();
        if (recoverPhase(real, reports))
        {
            checkPhase(real, reports);
        }
        out.println(failed == 0 ? PASSED : FAILED + " " + failed);
        out.flush();
        return failed == 0 ? 0 : 1;
    }

    /**
     * Attaches to a table of dead slots, recovers them all, and detaches: recovery may leave blocks
     * in this process's thread caches (a reference count brought to zero frees its block into the
     * recovering thread's cache), which the detach gives back.
     *
     * @return whether it attached (the checks need a slot).
     */
    private boolean recoverPhase(final Path real, final List<OwnerDeathReport> reports)
    {
        final Region region = Region.open(real, Duration.ZERO); // this process recovers explicitly
        boolean attached = false;
        try
        {
            final TieredPool pool = TieredPool.open(region);
            RefCounts.open(region, pool);
            LockManager.open(region);
            region.addOwnerDeathListener(reports::add);
            attached = attach(region);
            if (attached)
            {
                check("recover", () -> recover(region, reports));
            }
        }
        finally
        {
            for (final OwnerDeathReport report : reports)
            {
                out.println(RECOVERY + " slot=" + report.dead().slot() + " pid=" + report.dead().pid() + " completed="
                    + report.completed() + " steps=" + report.stepResults());
            }
            check("detach", () ->
            {
                region.close();
                return "detached after recovery";
            });
        }
        return attached;
    }

    /** Attaches again (no slot is dead now) and runs every other check. */
    private void checkPhase(final Path real, final List<OwnerDeathReport> recovered)
    {
        final Region region = Region.open(real, Duration.ZERO);
        try
        {
            final TieredPool pool = TieredPool.open(region);
            final RefCounts refs = RefCounts.open(region, pool);
            final LockManager locks = LockManager.open(region);
            final List<OwnerDeathReport> late = new CopyOnWriteArrayList<>();
            region.addOwnerDeathListener(late::add);
            if (check("reattach", () -> "slot " + region.attach() + "; "
                + (late.isEmpty() ? "nothing left to recover" : late.size() + " more slots recovered: " + late)))
            {
                checkAll(region, pool, refs, locks, recovered);
            }
        }
        finally
        {
            check("close", () ->
            {
                region.close();
                return "closed cleanly";
            });
        }
    }

    /** Attaches; on a refusal, recovers without a slot and tries once more. */
    private boolean attach(final Region region)
    {
        final boolean first = check("attach", () ->
        {
            try
            {
                return "slot " + region.attach() + " of " + region.processSlots();
            }
            catch (final RegionException ex)
            {
                throw new CheckFailed("refused with every other process dead: " + ex.getMessage()
                    + "; process table: " + region.processes());
            }
        });
        if (first)
        {
            return true;
        }
        region.recoverDeadSlots();
        return check("attach.retry", () ->
        {
            try
            {
                return "slot " + region.attach() + " after recoverDeadSlots() without a slot";
            }
            catch (final RegionException ex)
            {
                throw new CheckFailed("refused again after recoverDeadSlots() without a slot: " + ex.getMessage());
            }
        });
    }

    private void checkAll(final Region region, final TieredPool pool, final RefCounts refs, final LockManager locks,
        final List<OwnerDeathReport> reports)
    {
        check("slots", () -> slots(region));
        SoakLayout layout = null;
        try
        {
            layout = SoakLayout.open(region, pool);
        }
        catch (final RuntimeException ex)
        {
            check("layout", () ->
            {
                throw new CheckFailed(SoakWorkload.describe(ex));
            });
        }
        final int persistent = SoakLayout.persistentBlocks();
        check("pool.validate", () -> validate(pool, persistent));
        check("pool.stats", () -> stats(pool, persistent));
        check("pool.owned", () -> owned(pool));
        check("refs.validate", () -> none("reference-count problems", refs.validate()));
        check("locks.validate", () -> none("lock-table problems", locks.validate()));
        check("refs.orphans", () -> none("shared blocks nobody holds", refs.orphanReport().stream()
            .map(Handles::toString).collect(Collectors.toList())));
        check("refs.ledgers", () -> ledgers(region, refs));
        check("locks.held", () -> none("locks held (slot=count)", locks.locksHeldPerSlot().entrySet().stream()
            .map(Object::toString).collect(Collectors.toList())));
        check("locks.waits", () -> none("waits in the wait-for graph", locks.waitForGraph().entrySet().stream()
            .map(Object::toString).collect(Collectors.toList())));
        check("locks.table", () -> lockTable(region));
        if (layout != null)
        {
            final SoakLayout soak = layout;
            check("layout.persistent", () -> persistent(soak, refs));
            check("layout.directory", () -> deadHandles(soak, SoakLayout.DIRECTORY, soak::directory, "directory"));
            check("layout.mailbox", () -> deadHandles(soak, SoakLayout.MAILBOX, soak::mailboxHandle, "mailbox"));
            numbers(soak, reports);
        }
    }

    private String recover(final Region region, final List<OwnerDeathReport> reports)
    {
        region.recoverDeadSlots();
        final List<String> incomplete = new ArrayList<>();
        for (final OwnerDeathReport report : reports)
        {
            if (!report.completed())
            {
                incomplete.add("slot " + report.dead().slot() + ": " + report.stepResults());
            }
        }
        if (!incomplete.isEmpty())
        {
            throw new CheckFailed(incomplete.size() + " of " + reports.size() + " recoveries incomplete: " + incomplete);
        }
        return reports.size() + " dead slots recovered, every one completely";
    }

    private static String slots(final Region region)
    {
        final List<ProcessSlotInfo> others = region.processes().stream()
            .filter(p -> p.slot() != region.slot())
            .collect(Collectors.toList());
        if (!others.isEmpty())
        {
            throw new CheckFailed(others.size() + " slots besides this process's are in use: " + others);
        }
        return "only this process's slot " + region.slot() + " is in use";
    }

    private static String validate(final TieredPool pool, final int persistent)
    {
        final ValidationReport report = pool.validate();
        if (!report.valid())
        {
            throw new CheckFailed(report.problems().size() + " problems: " + first(report.problems()));
        }
        long allocated = 0;
        long cached = 0;
        long inFlight = 0;
        for (final ValidationReport.TierCounts tier : report.tiers())
        {
            allocated += tier.allocated();
            cached += tier.cached();
            inFlight += tier.inFlight();
        }
        if (allocated != persistent || cached != 0 || inFlight != 0)
        {
            throw new CheckFailed("valid, but " + allocated + " blocks allocated (the soak keeps " + persistent + "), "
                + cached + " cached, " + inFlight + " in flight: " + report.tiers());
        }
        return "valid; " + allocated + " blocks allocated (the soak's " + persistent + "), none cached or in flight";
    }

    private static String stats(final TieredPool pool, final int persistent)
    {
        long inUse = 0;
        long outstanding = 0;
        long allocations = 0;
        for (final TierStats tier : pool.stats().tiers())
        {
            inUse += tier.inUse();
            outstanding += tier.outstanding();
            allocations += tier.allocations();
        }
        if (inUse != persistent || outstanding != persistent)
        {
            throw new CheckFailed("counters say " + inUse + " in use and " + outstanding + " outstanding, the blocks "
                + persistent + ": " + pool.stats().tiers());
        }
        return inUse + " in use, " + outstanding + " outstanding, after " + allocations + " allocations";
    }

    private static String owned(final TieredPool pool)
    {
        final List<LeakEntry> owned = pool.leakReport(0);
        return none("blocks owned by a process slot", owned.stream()
            .map(e -> Handles.toString(e.handle()) + " slot " + e.ownerSlot() + " pid " + e.ownerPid())
            .collect(Collectors.toList()));
    }

    private static String ledgers(final Region region, final RefCounts refs)
    {
        final List<String> held = new ArrayList<>();
        for (int slot = 0; slot < region.processSlots(); slot++)
        {
            final Map<Long, Long> references = refs.references(slot);
            if (!references.isEmpty())
            {
                held.add("slot " + slot + ": " + references.size() + " handles");
            }
        }
        refs.leakReport(0).forEach(r -> held.add("slot " + r.slot() + " holds " + r.held() + " of "
            + Handles.toString(r.handle())));
        return none("ledger entries", held);
    }

    /**
     * Stricter than {@link LockManager#validate()} for a table nobody uses: scan it through its descriptor. Recovery wipes a dead
     * process's transaction cells and clears its ids from every entry, and the checker opens no
     * transaction, so every cell and every entry must be empty.
     */
    private static String lockTable(final Region region)
    {
        final Section section = region.section(SectionSpec.LOCK_TABLE);
        final AtomicBuffer buffer = region.buffer();
        final int base = (int)section.offset();
        final int lockCount = buffer.getInt(base + LOCK_COUNT_OFFSET);
        final int cellsPerSlot = buffer.getInt(base + CELLS_PER_SLOT_OFFSET);
        final int slots = buffer.getInt(base + PROCESS_SLOTS_OFFSET);
        final long cells = (long)slots * cellsPerSlot;
        final long locksOffset = RegionDescriptor.align(CELLS_OFFSET + cells * CELL_SIZE, 4096);
        if (slots != region.processSlots() || lockCount < 16 || cellsPerSlot < 1 || cells > MAX_CELLS
            || locksOffset + (long)lockCount * ENTRY_SIZE > section.length())
        {
            throw new CheckFailed("header says " + lockCount + " locks, " + cellsPerSlot + " cells per slot, " + slots
                + " slots: does not fit the section of " + section.length() + " bytes");
        }
        final List<String> problems = new ArrayList<>();
        for (int c = 0; c < cells; c++)
        {
            final int cell = base + CELLS_OFFSET + c * CELL_SIZE;
            final long id = buffer.getLongVolatile(cell + CELL_ID);
            final long state = buffer.getLongVolatile(cell + CELL_STATE);
            final long waiting = buffer.getLongVolatile(cell + CELL_WAITING);
            if (id != 0 || state != 0 || waiting != 0)
            {
                problems.add("cell " + c + " (slot " + c / cellsPerSlot + "): id 0x" + Long.toHexString(id) + " state 0x"
                    + Long.toHexString(state) + " waiting-for 0x" + Long.toHexString(waiting));
            }
        }
        for (int i = 0; i < lockCount; i++)
        {
            final int entry = (int)(base + locksOffset) + i * ENTRY_SIZE;
            final long owner = buffer.getLongVolatile(entry + ENTRY_OWNER);
            final long waiters = buffer.getLongVolatile(entry + ENTRY_WAITERS);
            if ((owner & 0xFFFF) != 0)
            {
                problems.add("entry " + i + ": exclusive owner cell " + ((owner & 0xFFFF) - 1));
            }
            if ((waiters & 0xFFFF_FFFFL) != 0)
            {
                problems.add("entry " + i + ": " + (waiters & 0xFFFF_FFFFL) + " waiters counted");
            }
            for (int w = 0; w < READER_WORDS; w++)
            {
                final long readers = buffer.getLongVolatile(entry + ENTRY_READERS + w * Long.BYTES);
                if (readers != 0)
                {
                    problems.add("entry " + i + ": reader lanes " + 4 * w + ".." + (4 * w + 3) + " = 0x"
                        + Long.toHexString(readers));
                }
            }
        }
        if (!problems.isEmpty())
        {
            throw new CheckFailed(problems.size() + " cells or entries not empty: " + first(problems));
        }
        return cells + " transaction cells and " + lockCount + " lock entries empty";
    }

    private static String persistent(final SoakLayout layout, final RefCounts refs)
    {
        final TieredPool pool = layout.pool();
        final List<String> problems = new ArrayList<>();
        final List<Long> handles = new ArrayList<>();
        handles.add(layout.meta());
        for (int i = 0; i < SoakLayout.ACCOUNTS; i++)
        {
            handles.add(layout.account(i));
        }
        for (final long handle : handles)
        {
            if (!pool.isLive(handle) || pool.ownerSlot(handle) != -1 || refs.count(handle) != 0)
            {
                problems.add(Handles.toString(handle) + " live " + pool.isLive(handle) + " owner "
                    + (pool.isLive(handle) ? pool.ownerSlot(handle) : -1) + " count " + refs.count(handle));
            }
        }
        if (!problems.isEmpty())
        {
            throw new CheckFailed("the soak's own blocks changed (want live, published, not counted): " + problems);
        }
        return handles.size() + " blocks live, published, not reference-counted";
    }

    private static String deadHandles(final SoakLayout layout, final int entries,
        final IntUnaryOperator offset, final String what)
    {
        final List<String> live = new ArrayList<>();
        int named = 0;
        for (int i = 0; i < entries; i++)
        {
            final long handle = layout.buffer().getLongVolatile(offset.applyAsInt(i));
            if (handle != 0)
            {
                named++;
                if (layout.pool().isLive(handle))
                {
                    live.add("entry " + i + ": " + Handles.toString(handle));
                }
            }
        }
        if (!live.isEmpty())
        {
            throw new CheckFailed(live.size() + " " + what + " entries name blocks still allocated, though every"
                + " holder is dead: " + first(live));
        }
        return named + " " + what + " entries left by dead workers, none names a live block";
    }

    private void numbers(final SoakLayout layout, final List<OwnerDeathReport> reports)
    {
        final AtomicBuffer buffer = layout.buffer();
        long counters = 0;
        long balance = 0;
        int witnesses = 0;
        for (int i = 0; i < SoakLayout.ACCOUNTS; i++)
        {
            counters += buffer.getLongVolatile(layout.accountField(i, SoakLayout.ACCOUNT_COUNTER));
            balance += buffer.getLongVolatile(layout.accountField(i, SoakLayout.ACCOUNT_BALANCE));
            if (buffer.getLongVolatile(layout.accountField(i, SoakLayout.ACCOUNT_WITNESS_TOKEN)) != 0)
            {
                witnesses++;
            }
        }
        out.println(NUMBERS + " recovered=" + reports.size() + " account.updates=" + counters + " balance.drift="
            + (balance - SoakLayout.ACCOUNTS * SoakLayout.INITIAL_BALANCE) + " witness.left=" + witnesses);
    }

    private static String none(final String what, final List<String> found)
    {
        if (!found.isEmpty())
        {
            throw new CheckFailed(found.size() + " " + what + ": " + first(found));
        }
        return "no " + what;
    }

    private static String first(final List<String> items)
    {
        return items.size() <= SHOWN ? items.toString() : items.subList(0, SHOWN) + " and " + (items.size() - SHOWN) + " more";
    }

    /** Runs a check and prints its line; any exception but {@link CheckFailed} is a failure too, with its text. */
    private boolean check(final String name, final Body body)
    {
        String detail;
        boolean pass;
        try
        {
            detail = body.run();
            pass = true;
        }
        catch (final CheckFailed ex)
        {
            detail = ex.getMessage();
            pass = false;
        }
        catch (final RuntimeException | Error ex)
        {
            detail = "threw " + SoakWorkload.describe(ex);
            pass = false;
        }
        if (!pass)
        {
            failed++;
        }
        out.println(CHECK + " " + name + " " + (pass ? "PASS" : "FAIL") + " " + detail.replaceAll("\\s*\\R\\s*", " "));
        out.flush();
        return pass;
    }
}
