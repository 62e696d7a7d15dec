using Xunit;

namespace FastAttn.Server.WebTests.Support;

/// <summary>Tests that start a server and generate run one at a time (two CPU cores).</summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class ServerCollection
{
    public const string Name = "Server";
}
