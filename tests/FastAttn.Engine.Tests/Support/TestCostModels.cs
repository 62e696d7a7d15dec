using System.Runtime.CompilerServices;
using FastAttn.Engine.Attention.Costs;
using FastAttn.Engine.Attention.Windows;

namespace FastAttn.Engine.Tests.Support;

/// <summary>
/// Fixed attention costs for tests (no timing). The module initializer makes them the shared cost model of every device,
/// so a test that searches with the default (measured) order without injecting costs still never measures. The Cli,
/// Plugin and Cluster test projects compile this file too (linked), for the commands and hosts they run in process.
/// </summary>
internal static class TestCostModels
{
    /// <summary>Costs where every candidate pays (as on a GPU at large N): AST ≫ WA-RS+ASC > ASC > WA-RS; refresh +30%.</summary>
    public static AttentionCosts EverythingPays { get; } = Costs(full: 1.0, refresh: 1.3, wars: 0.7, asc: 0.55, warsAsc: 0.45, ast: 0.02);

    /// <summary>Costs given per method (module milliseconds); the window kernels get one made-up time each.</summary>
    public static AttentionCosts Costs(double full, double refresh, double wars, double asc, double warsAsc, double ast) =>
        new(full, refresh, wars, asc, warsAsc, ast, full / 2, new Dictionary<WindowImplementation, double>
        {
            [WindowImplementation.BlockBand] = full / 3,
            [WindowImplementation.DenseMasked] = full / 2,
        });

    [ModuleInitializer]
    internal static void NeverMeasureInTests() => SharedCostModels.Factory = _ => new FixedCostModel(EverythingPays);
}
