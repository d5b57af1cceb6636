using System.Net;
using Formation.Formfiles;
using Formation.Services;
using Formation.Silo.Dns;
using Formation.Vms;

namespace Formation.Silo.Tests.Dns;

public sealed class ServiceRecordsTests
{
    private static ServiceInfo Service(params ServiceReplica[] replicas) =>
        new("web", replicas.Length, 1, RolloutState.Steady, null, replicas, [], DateTimeOffset.UnixEpoch, DateTimeOffset.UnixEpoch);

    [Fact]
    public void ServingReplicas_AnswerTheServiceName_AndSrvNamesPointAtEachReplica()
    {
        var service = Service(
            new ServiceReplica("a", "web-1", "n1", 1, VmState.Running, "10.77.0.3"),
            new ServiceReplica("b", "web-2", "n2", 1, VmState.Running, "10.77.1.2"));

        var records = ServiceRecords.Of(service, [new ExposedPort(8080, PortProtocol.Tcp), new ExposedPort(53, PortProtocol.Udp)]);

        Assert.Equal(
            [IPAddress.Parse("10.77.0.3"), IPAddress.Parse("10.77.1.2")],
            records["web"].Cast<AddressRecord>().Select(r => r.Address));
        Assert.Equal(["web-1", "web-2"], records["_http._tcp.web"].Cast<ServiceRecord>().Select(r => r.Target));
        Assert.All(records["_8080._tcp.web"].Cast<ServiceRecord>(), r => Assert.Equal(8080, r.Port));
        Assert.Equal(53, ((ServiceRecord)records["_53._udp.web"][0]).Port);
        Assert.False(records.ContainsKey("_http._udp.web"));
    }

    [Fact]
    public void DrainingStoppedOrAddresslessReplicas_AreLeftOut_AndNoServingReplicaMeansNoName()
    {
        var records = ServiceRecords.Of(Service(
            new ServiceReplica("a", "web-1", "n1", 1, VmState.Running, "10.77.0.3", Draining: true),
            new ServiceReplica("b", "web-2", "n1", 1, VmState.Stopped, "10.77.0.4"),
            new ServiceReplica("c", "web-3", "n1", 1, VmState.Running, null),
            new ServiceReplica("d", "web-4", "n1", 1, VmState.Running, "10.77.0.6")), []);
        Assert.Equal(IPAddress.Parse("10.77.0.6"), ((AddressRecord)Assert.Single(records["web"])).Address);

        Assert.Empty(ServiceRecords.Of(Service(new ServiceReplica("a", "web-1", "n1", 1, VmState.Provisioning, "10.77.0.3")), []));
    }

    [Fact]
    public void AMembersService_IsNamedUnderItsAccount_WithSrvTargetsOfItsReplicasNames()
    {
        var service = Service(
            new ServiceReplica("a", "web-1", "n1", 1, VmState.Running, "10.77.0.3"),
            new ServiceReplica("b", "web-2", "n2", 1, VmState.Running, "10.77.1.2")) with { Name = "bob/web" };

        var records = ServiceRecords.Of(service, [new ExposedPort(8080, PortProtocol.Tcp)]);

        Assert.Equal(["_8080._tcp.web.bob", "_http._tcp.web.bob", "web.bob"], records.Keys.Order(StringComparer.Ordinal));
        Assert.Equal(["web-1.bob", "web-2.bob"], records["_http._tcp.web.bob"].Cast<ServiceRecord>().Select(r => r.Target));
        Assert.Equal([IPAddress.Parse("10.77.0.3"), IPAddress.Parse("10.77.1.2")], records["web.bob"].Cast<AddressRecord>().Select(r => r.Address));

        // An account called like the node label (made before it was reserved) gets no names, rather than mixing with nodes.
        Assert.Empty(ServiceRecords.Of(service with { Name = "node/web" }, [new ExposedPort(8080, PortProtocol.Tcp)]));
    }
}
