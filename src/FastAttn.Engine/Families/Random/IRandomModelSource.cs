namespace FastAttn.Engine.Families.Random;

/// <summary>A family's random-weight configs (see <see cref="RandomModels"/>).</summary>
public interface IRandomModelSource
{
    /// <summary>The config names this family builds.</summary>
    IReadOnlyList<string> Names { get; }

    /// <summary>A random-weight model of config <paramref name="name"/> (one of <see cref="Names"/>).</summary>
    RandomModel Create(string name, RandomModelOptions options);
}
