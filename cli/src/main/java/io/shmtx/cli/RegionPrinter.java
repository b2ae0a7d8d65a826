package io.shmtx.cli;

import io.shmtx.region.ProcessSlotInfo;
import io.shmtx.region.Region;
import io.shmtx.region.RegionInfo;
import io.shmtx.region.Section;

import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Instant;
import java.time.ZoneId;
import java.time.format.DateTimeFormatter;
import java.time.temporal.ChronoUnit;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * Prints a {@link RegionInfo} as text: header, section table, process table, roots.
 *
 * <p>This class is threadsafe (it has no state).
 */
final class RegionPrinter
{
    private static final DateTimeFormatter TIME = DateTimeFormatter.ISO_OFFSET_DATE_TIME;

    private RegionPrinter()
    {
    }

    /**
     * Everything {@code shmtx inspect} shows.
     *
     * @param out  where to print.
     * @param info the snapshot.
     */
    static void all(final PrintWriter out, final RegionInfo info)
    {
        header(out, info, Region.lockFilePath(info.file()));
        sections(out, info);
        processes(out, info, System.currentTimeMillis());
        roots(out, info);
        out.flush();
    }

    static void header(final PrintWriter out, final RegionInfo info, final Path lockFile)
    {
        final long now = System.currentTimeMillis();
        out.println("header");
        row(out, "file", info.file().toString());
        row(out, "lock file", lockFile.toString());
        row(out, "permissions", permissions(info.file()));
        row(out, "size", info.size() + " bytes (" + ByteSize.format(info.size()) + ")");
        row(out, "layout version", Integer.toString(info.layoutVersion()));
        row(out, "created", time(info.createdMillis()) + " (" + age(now - info.createdMillis()) + " ago)");
        row(out, "creator pid", Long.toString(info.creatorPid()));
        row(out, "heartbeat", info.heartbeatMillis() + " ms interval");
        row(out, "clean close", info.cleanClose()
            ? "yes (the last process detached cleanly; none attached since)"
            : "no (attached now, or a process died attached)");
        row(out, "clock", Long.toString(info.clock()));
        row(out, "process slots", info.processes().size() + " of " + info.processSlots() + " in use");
        row(out, "root slots", info.roots().size() + " of " + info.rootSlots() + " bound");
    }

    static void sections(final PrintWriter out, final RegionInfo info)
    {
        out.println("sections (" + info.sections().size() + ")");
        out.println(String.format(Locale.ROOT, "  %-16s %4s %12s %12s  %s",
            "NAME", "ID", "OFFSET", "LENGTH", "RECOVERY"));
        for (final Section section : info.sections())
        {
            out.println(String.format(Locale.ROOT, "  %-16s %4d %12d %12d  %s", section.name(), section.id(),
                section.offset(), section.length(), section.needsRecovery() ? "needs a step" : "-"));
        }
    }

    static void processes(final PrintWriter out, final RegionInfo info, final long nowMillis)
    {
        processes(out, info, nowMillis, "");
    }

    /**
     * The process table, each line after {@code indent}.
     *
     * @param out       where to print.
     * @param info      the snapshot.
     * @param nowMillis current time, for heartbeat ages.
     * @param indent    prefix of every line.
     */
    static void processes(final PrintWriter out, final RegionInfo info, final long nowMillis, final String indent)
    {
        out.println(indent + "processes (" + info.processes().size() + " of " + info.processSlots() + " slots in use)");
        if (info.processes().isEmpty())
        {
            out.println(indent + "  (none attached)");
            return;
        }
        out.println(indent + String.format(Locale.ROOT, "  %4s  %-12s %8s  %-5s  %-7s  %13s  %s",
            "SLOT", "STATE", "PID", "OWNER", "STALLED", "HEARTBEAT AGE", "ATTACHED AT"));
        for (final ProcessSlotInfo process : info.processes())
        {
            out.println(indent + String.format(Locale.ROOT, "  %4d  %-12s %8d  %-5s  %-7s  %13s  %s",
                process.slot(), process.state(), process.pid(), process.alive() ? "alive" : "dead",
                process.stalled() ? "STALLED" : "no", age(nowMillis - process.heartbeatMillis()),
                time(process.attachMillis())));
        }
    }

    static void roots(final PrintWriter out, final RegionInfo info)
    {
        out.println("roots (" + info.roots().size() + ")");
        for (final String problem : info.problems())
        {
            out.println("  UNREADABLE: " + problem);
        }
        if (info.roots().isEmpty())
        {
            out.println("  (none bound)");
            return;
        }
        final int width = info.roots().keySet().stream().mapToInt(String::length).max().orElse(4);
        for (final Map.Entry<String, Long> root : info.roots().entrySet())
        {
            out.println(String.format(Locale.ROOT, "  %-" + width + "s  0x%016x", root.getKey(), root.getValue()));
        }
    }

    private static void row(final PrintWriter out, final String name, final String value)
    {
        out.println(String.format(Locale.ROOT, "  %-15s %s", name, value));
    }

    private static String permissions(final Path file)
    {
        try
        {
            return PosixFilePermissions.toString(Files.getPosixFilePermissions(file));
        }
        catch (final IOException | UnsupportedOperationException ex)
        {
            return "(unknown: " + ex.getClass().getSimpleName() + ")";
        }
    }

    static String time(final long epochMillis)
    {
        return TIME.format(Instant.ofEpochMilli(epochMillis).atZone(ZoneId.systemDefault())
            .truncatedTo(ChronoUnit.MILLIS));
    }

    /**
     * A duration for people: {@code 0.3 s}, {@code 12 s}, {@code 5 min}, {@code 2 h}, {@code 3 d}.
     */
    static String age(final long millis)
    {
        if (millis < 0)
        {
            return "-" + age(-millis);
        }
        if (millis < 10_000)
        {
            return String.format(Locale.ROOT, "%.1f s", millis / 1000.0);
        }
        if (millis < 120_000)
        {
            return millis / 1000 + " s";
        }
        if (millis < 2 * 3_600_000)
        {
            return millis / 60_000 + " min";
        }
        if (millis < 2 * 86_400_000L)
        {
            return millis / 3_600_000 + " h";
        }
        return millis / 86_400_000L + " d";
    }

    /**
     * The process in a slot.
     *
     * @param processes {@code Region.processes()}.
     * @param slot      the slot.
     * @return its process, or null when the slot is free.
     */
    static ProcessSlotInfo process(final List<ProcessSlotInfo> processes, final int slot)
    {
        for (final ProcessSlotInfo process : processes)
        {
            if (process.slot() == slot)
            {
                return process;
            }
        }
        return null;
    }

    /**
     * The pid of a slot's process.
     *
     * @param process the process, or null for a free slot.
     * @return the pid, "-" when the slot is free.
     */
    static String pid(final ProcessSlotInfo process)
    {
        return process == null ? "-" : Long.toString(process.pid());
    }

    /**
     * A slot's state in lower case: attached, dead (not recovered yet), recovering, or free.
     *
     * @param process the process, or null for a free slot.
     * @return the state.
     */
    static String slotState(final ProcessSlotInfo process)
    {
        if (process == null)
        {
            return "free";
        }
        if (!process.alive())
        {
            return "dead";
        }
        return process.state().toLowerCase(Locale.ROOT);
    }
}
