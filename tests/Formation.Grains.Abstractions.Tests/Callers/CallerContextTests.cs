using Formation.Identity;

namespace Formation.Grains.Abstractions.Tests.Callers;

/// <summary>
/// What a silo may vouch for: a caller set in this flow (the identity filter, a front end), never one that merely arrived
/// in a request context (a stream event's, which a client may have forged as admin).
/// </summary>
public sealed class CallerContextTests
{
    [Fact]
    public async Task ACallerThatOnlyArrivedInTheRequestContext_IsCurrentButNotEstablished()
    {
        await Task.Run(() =>
        {
            // As a stream delivery imports its publisher's request context.
            RequestContext.Set(CallerContext.Key, Caller.Admin);

            Assert.Equal(Caller.Admin, CallerContext.Current);
            Assert.Null(CallerContext.Established);
        });
    }

    [Fact]
    public async Task ACallerSetHere_IsEstablished_UntilAnImportedOneReplacesIt_OrItIsCleared()
    {
        await Task.Run(() =>
        {
            var bob = new Caller("bob", IsAdmin: false);
            CallerContext.Set(bob);
            Assert.Equal(bob, CallerContext.Established);

            RequestContext.Set(CallerContext.Key, Caller.Admin); // imported over it
            Assert.Null(CallerContext.Established);

            CallerContext.Set(bob);
            CallerContext.Clear();
            Assert.Null(CallerContext.Current);
            Assert.Null(CallerContext.Established);
        });
    }

    [Fact]
    public async Task AnEstablishedCaller_FlowsIntoWhatTheFlowAwaits_NotBackOut()
    {
        await Task.Run(async () =>
        {
            var alice = new Caller("alice", IsAdmin: false);
            await SetInChildAsync(alice);
            Assert.Null(CallerContext.Established); // an async method's change ends with it

            CallerContext.Set(alice);
            Assert.Equal(alice, await Task.Run(() => CallerContext.Established));
        });
    }

    private static async Task SetInChildAsync(Caller caller)
    {
        await Task.Yield();
        CallerContext.Set(caller);
    }
}
