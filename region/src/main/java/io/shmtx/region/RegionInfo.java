package io.shmtx.region;

import java.nio.file.Path;
import java.util.List;
import java.util.Map;

/**
 * A snapshot of a region for diagnostics ({@code shmtx inspect}). Immutable.
 *
 * @param file                the region file.
 * @param size                region size in bytes.
 * @param layoutVersion       layout version of the header.
 * @param createdMillis       creation time, epoch ms.
 * @param creatorPid          pid of the creator.
 * @param heartbeatMillis     heartbeat interval in ms.
 * @param cleanClose          whether the last process detached cleanly (no process attached since).
 * @param clock               current region clock value.
 * @param sections            the section table.
 * @param processes           every process slot that is not free, with liveness.
 * @param processSlots        number of process slots.
 * @param rootSlots           number of named-root slots.
 * @param roots               bound roots, name to handle, in slot order (slots that cannot be read left out).
 * @param problems            what could not be read (e.g. a corrupt root slot), empty for a sound region.
 */
public record RegionInfo(
    Path file, long size, int layoutVersion, long createdMillis, long creatorPid, long heartbeatMillis,
    boolean cleanClose, long clock, List<Section> sections, List<ProcessSlotInfo> processes, int processSlots, int rootSlots,
    Map<String, Long> roots, List<String> problems)
{
}
