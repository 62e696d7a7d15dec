using Xunit;

namespace FastAttn.Engine.Tests.Support;

/// <summary>Tests that read process-wide counters (live tensors, memory) run alone, not beside other test classes.</summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class SequentialCollection
{
    public const string Name = "Sequential";
}
