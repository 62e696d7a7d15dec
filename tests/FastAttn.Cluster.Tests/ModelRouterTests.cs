using FastAttn.Cluster.Contracts;
using FastAttn.Cluster.Routing;
using Xunit;

namespace FastAttn.Cluster.Tests;

/// <summary>Routing by model affinity, then load (no cluster needed).</summary>
public sealed class ModelRouterTests
{
    private static readonly SiloAddress Silo = SiloAddress.New(new System.Net.IPEndPoint(System.Net.IPAddress.Loopback, 11111), 1);

    private static WorkerReport W(string name, string[] models, string[] loaded, int active = 0, int capacity = 1, int queue = 2) => new()
    {
        Worker = name + "/cpu", Host = name, Device = "cpu", Silo = Silo, Models = models, DefaultModel = models[0], Loaded = loaded,
        ActiveJobs = active, Capacity = capacity, QueueCapacity = queue, TakenAt = DateTime.UtcNow,
    };

    private static RouteDecision Route(string? model, params WorkerReport[] workers) =>
        ModelRouter.Choose(workers, model, GenerationKind.Image, _ => 0, new HashSet<string>());

    [Fact]
    public void A_free_host_with_the_model_loaded_wins_over_idle_hosts_without_it()
    {
        var d = Route("a", W("h1", ["A", "B"], []), W("h2", ["A"], ["A"], active: 0), W("h3", ["A"], []));
        Assert.Equal((RouteOutcome.Chosen, "h2/cpu", "A"), (d.Outcome, d.Worker!.Worker, d.Model));
    }

    [Fact]
    public void When_the_loaded_host_is_busy_a_free_capable_host_loads_a_second_copy()
    {
        var d = Route("A", W("h1", ["A"], ["A"], active: 1), W("h2", ["A", "B"], ["B"]), W("h3", ["A"], []));
        Assert.Equal("h3/cpu", d.Worker!.Worker);                                             // idle, fewer models in memory than h2
    }

    [Fact]
    public void When_every_capable_host_is_busy_the_job_queues_where_the_model_is_loaded()
    {
        var d = Route("A", W("h1", ["A"], ["A"], active: 2), W("h2", ["A"], [], active: 1), W("h3", ["A"], ["A"], active: 1));
        Assert.Equal("h3/cpu", d.Worker!.Worker);
    }

    [Fact]
    public void Full_queues_unknown_models_excluded_and_absent_hosts_are_said()
    {
        Assert.Equal(RouteOutcome.AllBusy, Route("A", W("h1", ["A"], ["A"], active: 3)).Outcome);
        var unknown = Route("C", W("h1", ["A"], []), W("h2", ["B"], []));
        Assert.Equal(RouteOutcome.UnknownModel, unknown.Outcome);
        Assert.Contains("A, B", unknown.Message, StringComparison.Ordinal);
        Assert.Equal(RouteOutcome.NoLiveHost, Route("A").Outcome);
        var excluded = ModelRouter.Choose([W("h1", ["A"], ["A"]), W("h2", ["A"], [])], "A", GenerationKind.Image, _ => 0, new HashSet<string> { "h1/cpu" });
        Assert.Equal("h2/cpu", excluded.Worker!.Worker);
        Assert.Equal(RouteOutcome.NoLiveHost, ModelRouter.Choose([W("h1", ["A"], [])], "A", GenerationKind.Image, _ => 0, new HashSet<string> { "h1/cpu" }).Outcome);
    }

    [Fact]
    public void Jobs_routed_since_the_last_report_count_as_load_and_no_model_means_the_default()
    {
        var h1 = W("h1", ["A"], ["A"]);
        var h2 = W("h2", ["A"], []);
        Assert.Equal("h2/cpu", ModelRouter.Choose([h1, h2], "A", GenerationKind.Image, w => w == h1 ? 1 : 0, new HashSet<string>()).Worker!.Worker);
        Assert.Equal("A", Route(null, h1, h2).Model);
        var video = h2 with { Models = ["A", "clip"], DefaultVideoModel = "clip" };
        Assert.Equal("clip", ModelRouter.Choose([video], null, GenerationKind.Video, _ => 0, new HashSet<string>()).Model);
        Assert.Equal(RouteOutcome.UnknownModel, ModelRouter.Choose([h1], null, GenerationKind.Video, _ => 0, new HashSet<string>()).Outcome);
    }
}
