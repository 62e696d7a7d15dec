using Xunit;

namespace FastAttn.Cluster.Tests.Support;

/// <summary>Cluster tests generate on two CPU cores: one class at a time.</summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class ClusterCollection
{
    public const string Name = "Cluster";
}
