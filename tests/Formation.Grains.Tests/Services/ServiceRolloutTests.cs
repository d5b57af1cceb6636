using Formation.Grains.Services;
using Formation.Services;
using Formation.Vms;

namespace Formation.Grains.Tests.Services;

/// <summary>
/// The rollout as a state machine driven against a simulated cluster: each Create adds a Provisioning replica that
/// boots on the next tick, each Delete removes one. The invariant checked at every tick: while replacing, never fewer
/// than the wanted number of replicas serve, and never more than one extra exists.
/// </summary>
public sealed class ServiceRolloutTests
{
    private sealed class World(int wanted, int target)
    {
        private int _next = 1;

        public List<ServiceReplica> Replicas { get; } = [];

        public int Wanted { get; set; } = wanted;

        public int Target { get; set; } = target;

        public List<string> Log { get; } = [];

        public void Add(int revision, VmState state) =>
            Replicas.Add(new ServiceReplica($"vm{_next}", $"web-{_next++}", "n1", revision, state, null));

        /// <summary>Runs until Done (or a Fail, or 100 ticks), checking the invariants on the way.</summary>
        public RolloutStep Run(int minServing, Func<ServiceReplica, VmState>? bootsTo = null)
        {
            var ceiling = Math.Max(Wanted, Replicas.Count) + 1;
            for (var tick = 0; tick < 100; tick++)
            {
                // Replicas created on the previous tick finish booting.
                for (var i = 0; i < Replicas.Count; i++)
                {
                    if (Replicas[i].State == VmState.Provisioning)
                    {
                        Replicas[i] = Replicas[i] with { State = bootsTo?.Invoke(Replicas[i]) ?? VmState.Running };
                    }
                }

                Assert.True(Replicas.Count(r => r.Serving) >= minServing, $"fewer than {minServing} serving after: {string.Join(", ", Log)}");
                Assert.True(Replicas.Count <= ceiling, $"more than one extra replica after: {string.Join(", ", Log)}");
                var step = ServiceRollout.Next(Wanted, Target, Replicas);
                switch (step)
                {
                    case RolloutStep.Done or RolloutStep.Fail:
                        return step;
                    case RolloutStep.Create:
                        Add(Target, VmState.Provisioning);
                        Log.Add($"create {Replicas[^1].Name}");
                        break;
                    case RolloutStep.Delete(var replica, _):
                        Replicas.Remove(replica);
                        Log.Add($"delete {replica.Name}");
                        break;
                }
            }

            throw new Xunit.Sdk.XunitException($"no end after 100 ticks: {string.Join(", ", Log)}");
        }
    }

    [Fact]
    public void NewService_CreatesTheReplicasOneAtATime()
    {
        var world = new World(3, 1);
        Assert.IsType<RolloutStep.Done>(world.Run(minServing: 0));
        Assert.Equal(["create web-1", "create web-2", "create web-3"], world.Log);
        Assert.All(world.Replicas, r => Assert.Equal(VmState.Running, r.State));
    }

    [Fact]
    public void NewRevision_ReplacesEachOldReplicaOnlyAfterItsReplacementRuns()
    {
        var world = new World(3, 2);
        for (var i = 0; i < 3; i++)
        {
            world.Add(1, VmState.Running);
        }

        Assert.IsType<RolloutStep.Done>(world.Run(minServing: 3));

        Assert.Equal(["create web-4", "delete web-1", "create web-5", "delete web-2", "create web-6", "delete web-3"], world.Log);
        Assert.All(world.Replicas, r => Assert.Equal(2, r.Revision));
    }

    [Fact]
    public void NewReplicaFails_TheRolloutStops_AndTheOldReplicasStay()
    {
        var world = new World(2, 2);
        world.Add(1, VmState.Running);
        world.Add(1, VmState.Running);

        var end = world.Run(minServing: 2, bootsTo: _ => VmState.Failed);

        var fail = Assert.IsType<RolloutStep.Fail>(end);
        Assert.Equal("web-3", fail.Replica.Name);
        Assert.Equal(2, world.Replicas.Count(r => r.Revision == 1 && r.Serving));
    }

    [Fact]
    public void RollbackAfterAFailure_DeletesTheFailedReplicaOfTheAbandonedRevision()
    {
        var world = new World(2, 1);
        world.Add(1, VmState.Running);
        world.Add(1, VmState.Running);
        world.Add(2, VmState.Failed);

        Assert.IsType<RolloutStep.Done>(world.Run(minServing: 2));

        Assert.Equal(["delete web-3"], world.Log);
    }

    [Fact]
    public void ScaleDown_DeletesTheNewestFirst_ScaleUp_Adds()
    {
        var world = new World(1, 1);
        for (var i = 0; i < 3; i++)
        {
            world.Add(1, VmState.Running);
        }

        Assert.IsType<RolloutStep.Done>(world.Run(minServing: 1));
        Assert.Equal(["delete web-3", "delete web-2"], world.Log);

        world.Wanted = 2;
        Assert.IsType<RolloutStep.Done>(world.Run(minServing: 1));
        Assert.Equal("create web-4", world.Log[^1]);
    }

    [Fact]
    public void BootingReplica_IsWaitedFor()
    {
        var replicas = new List<ServiceReplica> { new("a", "web-1", "n1", 1, VmState.Provisioning, null) };
        var step = Assert.IsType<RolloutStep.Wait>(ServiceRollout.Next(2, 1, replicas));
        Assert.Contains("web-1", step.Why);
    }

    [Fact]
    public void StoppedReplica_CountsAsTheUsersChoice_AndIsReplacedFirstOnARollout()
    {
        var stopped = new List<ServiceReplica> { new("a", "web-1", "n1", 1, VmState.Running, null), new("b", "web-2", "n1", 1, VmState.Stopped, null) };
        Assert.IsType<RolloutStep.Done>(ServiceRollout.Next(2, 1, stopped));

        var world = new World(2, 2);
        world.Add(1, VmState.Running);
        world.Add(1, VmState.Stopped);
        Assert.IsType<RolloutStep.Done>(world.Run(minServing: 1));
        Assert.Equal(["create web-3", "delete web-2", "create web-4", "delete web-1"], world.Log);
    }

    [Fact]
    public void LostReplica_IsNotCounted_AReplacementIsMade()
    {
        var replicas = new List<ServiceReplica> { new("a", "web-1", "n1", 1, VmState.Lost, null), new("b", "web-2", "n2", 1, VmState.Running, null) };
        Assert.IsType<RolloutStep.Create>(ServiceRollout.Next(2, 1, replicas));
    }

    [Fact]
    public void Deleting_DeletesEveryReplica_ThenIsDone()
    {
        var replicas = new List<ServiceReplica> { new("a", "web-1", "n1", 1, VmState.Running, null), new("b", "web-2", "n1", 2, VmState.Failed, null) };
        Assert.IsType<RolloutStep.Delete>(ServiceRollout.Next(2, 1, replicas, deleting: true));
        Assert.IsType<RolloutStep.Wait>(ServiceRollout.Next(2, 1, [replicas[0] with { State = VmState.Deleting }], deleting: true));
        Assert.IsType<RolloutStep.Done>(ServiceRollout.Next(2, 1, [], deleting: true));
    }

    [Fact]
    public void NewReplicaWithAHealthCheck_IsWaitedForUntilItPasses_ThenReplacesAnOldOne()
    {
        var replicas = new List<ServiceReplica>
        {
            new("a", "web-1", "n1", 1, VmState.Running, "10.0.0.2"),
            new("b", "web-2", "n1", 2, VmState.Running, "10.0.0.3", Health: ReplicaHealth.Pending),
        };
        Assert.Contains("health check", Assert.IsType<RolloutStep.Wait>(ServiceRollout.Next(1, 2, replicas)).Why);
        Assert.False(replicas[1].Serving);

        replicas[1] = replicas[1] with { Health = ReplicaHealth.Passing };
        Assert.True(replicas[1].Serving);
        Assert.Equal("web-1", Assert.IsType<RolloutStep.Delete>(ServiceRollout.Next(1, 2, replicas)).Replica.Name);
    }

    [Fact]
    public void NewReplicaWhoseHealthCheckNeverPassed_FailsTheRollout_AFailingOldOneIsOutOfTrafficButKept()
    {
        var timedOut = new List<ServiceReplica>
        {
            new("a", "web-1", "n1", 1, VmState.Running, "10.0.0.2"),
            new("b", "web-2", "n1", 2, VmState.Running, "10.0.0.3", Health: ReplicaHealth.TimedOut),
        };
        Assert.Equal("web-2", Assert.IsType<RolloutStep.Fail>(ServiceRollout.Next(1, 2, timedOut)).Replica.Name);

        var failing = new ServiceReplica("a", "web-1", "n1", 1, VmState.Running, "10.0.0.2", Health: ReplicaHealth.Failing);
        Assert.False(failing.Serving);
        Assert.IsType<RolloutStep.Done>(ServiceRollout.Next(1, 1, [failing]));
    }

    [Theory]
    [InlineData("web-12", 12)]
    [InlineData("my-web-3", 3)]
    [InlineData("web", 0)]
    public void Ordinal_IsTheNumberAfterTheLastDash(string name, int ordinal) => Assert.Equal(ordinal, ServiceRollout.Ordinal(name));

    [Fact]
    public void Rules_RefuseNamesWithoutRoomForTheReplicaNumber_AndCountsOutOfRange()
    {
        var template = new VmSpec("", 1, 128, 1, "web:latest", null);
        Assert.Contains("leave room", Assert.Throws<Errors.FormationException>(() => ServiceRules.Validate(new ServiceSpec(new string('a', 60), 1, template))).Message);
        Assert.Contains("0 to 100", Assert.Throws<Errors.FormationException>(() => ServiceRules.Validate(new ServiceSpec("web", 101, template))).Message);
        Assert.Contains("needs an image", Assert.Throws<Errors.FormationException>(() => ServiceRules.Validate(new ServiceSpec("web", 1, template with { Image = null }))).Message);
        ServiceRules.Validate(new ServiceSpec("web", 2, template));
    }

    [Theory]
    [InlineData(0, "/", 2.0, 3, 60.0, "port 0")]
    [InlineData(8080, "healthz", 2.0, 3, 60.0, "must start with '/'")]
    [InlineData(8080, "/a b", 2.0, 3, 60.0, "must start with '/'")]
    [InlineData(8080, "/", 0.1, 3, 60.0, "interval")]
    [InlineData(8080, "/", 2.0, 0, 60.0, "threshold")]
    [InlineData(8080, "/", 10.0, 3, 5.0, "start period")]
    public void HealthChecks_OutOfRange_AreRefusedNamingTheField(int port, string path, double interval, int threshold, double start, string named)
    {
        var check = new HealthCheck(port, path, TimeSpan.FromSeconds(interval), threshold, TimeSpan.FromSeconds(start));
        var template = new VmSpec("", 1, 128, 1, "web:latest", null);
        Assert.Contains(named, Assert.Throws<Errors.FormationException>(() => ServiceRules.Validate(new ServiceSpec("web", 1, template, check))).Message);
    }
}
