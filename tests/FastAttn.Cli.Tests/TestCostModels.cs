using System.Runtime.CompilerServices;
using FastAttn.Engine.Attention.Costs;
using FastAttn.Engine.Attention.Windows;

namespace FastAttn.Cli.Tests;

/// <summary>
/// No timing in tests: the commands' cost models (<see cref="SharedCostModels"/>) give fixed costs, under which every
/// candidate pays (AST, then WA-RS+ASC, ASC, WA-RS; refresh +30%), so measured-order searches are deterministic.
/// </summary>
internal static class TestCostModels
{
    private static readonly AttentionCosts Costs = new(1.0, 1.3, 0.7, 0.55, 0.45, 0.02, 0.5,
        new Dictionary<WindowImplementation, double> { [WindowImplementation.BlockBand] = 0.3, [WindowImplementation.DenseMasked] = 0.5 });

    [ModuleInitializer]
    internal static void NeverMeasureInTests() => SharedCostModels.Factory = _ => new FixedCostModel(Costs);
}
