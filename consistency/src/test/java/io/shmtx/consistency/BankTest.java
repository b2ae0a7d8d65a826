package io.shmtx.consistency;

import static org.junit.jupiter.api.Assertions.*;

import io.shmtx.testkit.TempRegions;

import java.time.Duration;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The bank ({@link BankHarness}) under every model: worker JVMs transfer and audit; once quietly,
 * once while workers are killed with destroyForcibly() and replaced; and while another process
 * switches the model every 100 ms across every model (once with that process killed too).
 */
class BankTest
{
    private final TempRegions temp = new TempRegions();

    @AfterEach
    void cleanUp() throws Exception
    {
        temp.close();
    }

    @ParameterizedTest
    @MethodSource("io.shmtx.consistency.Models#implemented")
    void workersKeepTheTotalAndEveryAuditSeesIt(final ConsistencyModel model) throws Exception
    {
        try (BankHarness bank = new BankHarness(temp.newPath("bank"), 32, model))
        {
            bank.run(3, Duration.ofSeconds(5), false);
            final long[] seen = bank.verify();
            assertTrue(seen[0] > 0 && seen[1] > 0 && seen[2] > 0, "audits in the parent, audits and transfers in the workers: "
                + java.util.Arrays.toString(seen));
        }
    }

    @Test
    void workersKeepTheTotalWhileAnotherProcessSwitchesTheModelEvery100Ms() throws Exception
    {
        try (BankHarness bank = new BankHarness(temp.newPath("bank-switch"), 32))
        {
            final long epochBefore = bank.shm().epoch();
            bank.run(3, Duration.ofSeconds(5), false, "SEQUENTIAL,RELEASE,CAUSAL");
            final long[] seen = bank.verify();
            assertTrue(seen[1] > 0 && seen[2] > 0, java.util.Arrays.toString(seen));
            assertTrue(bank.switches() >= 10, "switches: " + bank.switches());
            assertTrue(bank.shm().epoch() >= epochBefore + bank.switches(), "epoch " + bank.shm().epoch());
        }
    }

    @Test
    void killedWorkersAndSwitchersLoseNothingAndWedgeNothing() throws Exception
    {
        try (BankHarness bank = new BankHarness(temp.newPath("bank-switch-chaos"), 32))
        {
            bank.run(3, Duration.ofSeconds(15), true, "SEQUENTIAL,RELEASE,CAUSAL");
            final long[] seen = bank.verify();
            assertTrue(bank.switcherKills() >= 1, "switcher kills: " + bank.switcherKills());
            assertTrue(seen[0] > 0, "audits in the parent");
            final long epoch = bank.shm().epoch();
            bank.shm().switchModel(ConsistencyModel.SEQUENTIAL); // nothing left wedged by a killed switcher
            assertEquals(epoch + 1, bank.shm().epoch());
        }
    }

    @ParameterizedTest
    @MethodSource("io.shmtx.consistency.Models#implemented")
    void killedWorkersLoseNothing(final ConsistencyModel model) throws Exception
    {
        try (BankHarness bank = new BankHarness(temp.newPath("bank-chaos"), 32, model))
        {
            // 30 kills, or a minute on a loaded machine; the long version: -Dshmtx.bank.kills=1000 -Dshmtx.bank.seconds=3600
            bank.run(3, Duration.ofSeconds(Long.getLong("shmtx.bank.seconds", 60)), true, null, Integer.getInteger("shmtx.bank.kills", 30));
            final long[] seen = bank.verify();
            assertTrue(bank.kills() >= Math.min(10, Integer.getInteger("shmtx.bank.kills", 30)), "kills: " + bank.kills());
            assertTrue(seen[0] > 0, "audits in the parent");
            System.out.println("bank chaos " + model + ": " + bank.kills() + " workers killed, " + bank.recoveredTransactions()
                + " of their transactions found in flight and recovered, " + seen[0] + " audits in the parent, "
                + seen[1] + " audits and " + seen[2] + " transfers reported by workers that stopped cleanly");
        }
    }
}
