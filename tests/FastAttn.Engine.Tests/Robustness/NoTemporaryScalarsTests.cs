using FastAttn.Engine.Runtime;
using TorchSharp;
using Xunit;
using static TorchSharp.torch;

namespace FastAttn.Engine.Tests.Robustness;

/// <summary>
/// Guards against TorchSharp's temporary-Scalar race (see <see cref="Scalars"/> and docs/reliability.md): the Engine's IL
/// may not call anything that creates a <see cref="Scalar"/> and lets it die during a native call — an implicit
/// conversion, <c>ToScalar</c>, or a TorchSharp member that makes one inside (found by walking TorchSharp's own IL:
/// <c>Tensor + Tensor</c>, <c>x * 2.5</c>, <c>arange(n)</c>, <c>square()</c>, …). Only <see cref="Scalars"/> creates
/// Scalars, each kept alive by a <c>using</c> or a process-lifetime cache.
/// </summary>
public sealed class NoTemporaryScalarsTests
{
    /// <summary>Callers allowed to create Scalars, with why each is safe.</summary>
    private static readonly Dictionary<string, string> Allowed = new()
    {
        ["FastAttn.Engine.Runtime.Scalars"] = "every Scalar is held by a using until the native call returns, or cached for the process",
    };

    private static readonly Lazy<HashSet<string>> Racy = new(() => IlCallScanner.Reaching(
        typeof(torch).Assembly.Location, CreatesScalar,
        skipCaller: c => c.StartsWith("Scalar::", StringComparison.Ordinal) || c.StartsWith("ScalarExtensionMethods::", StringComparison.Ordinal)));

    private static bool CreatesScalar(string callee) =>
        callee.StartsWith("Scalar::op_Implicit(", StringComparison.Ordinal)
        || callee.StartsWith("Scalar::.ctor(", StringComparison.Ordinal)
        || callee.StartsWith("ScalarExtensionMethods::", StringComparison.Ordinal);

    private static List<IlCall> TemporaryScalarSites(string assemblyPath) => IlCallScanner.Calls(assemblyPath)
        .Where(c => CreatesScalar(c.Callee) || Racy.Value.Contains(c.Callee))
        .Where(c => !Allowed.Keys.Any(type => c.Caller.StartsWith(type + "::", StringComparison.Ordinal)
            || c.Caller.StartsWith(type + "+", StringComparison.Ordinal)))
        .ToList();

    [Fact]
    public void TheEngineCreatesNoTemporaryScalars()
    {
        var sites = TemporaryScalarSites(typeof(Scalars).Assembly.Location);
        Assert.True(sites.Count == 0,
            $"{sites.Count} call(s) create a temporary TorchSharp Scalar that a GC can free during the native call; "
            + "use FastAttn.Engine.Runtime.Scalars (Plus/Minus/Times/Over, Of(constant), One):\n"
            + string.Join("\n", sites.Select(s => $"  {s.Caller}  calls  {s.Callee}").Distinct().Order()));
    }

    [Fact]
    public void TorchSharpMembersThatMakeAScalarInsideAreFoundAndThoseThatDoNotAreNot()
    {
        var racy = Racy.Value;
        Assert.Contains("Tensor::add(Tensor)", racy);                        // add(target, 1): a temporary alpha
        Assert.Contains("Tensor::op_Addition(Tensor,Tensor)", racy);
        Assert.Contains("Tensor::op_Multiply(Tensor,Double)", racy);
        Assert.Contains("Tensor::square()", racy);                           // pow(2)
        Assert.Contains("torch::arange(Scalar,Nullable`1<ScalarType>,Device,Boolean)", racy);   // arange(0, stop, 1)
        Assert.DoesNotContain("Tensor::add(Tensor,Scalar)", racy);
        Assert.DoesNotContain("Tensor::mul(Scalar)", racy);
        Assert.DoesNotContain("Tensor::op_Multiply(Tensor,Tensor)", racy);
        Assert.DoesNotContain("Tensor::op_Subtraction(Tensor,Tensor)", racy);   // sub(Tensor) has no alpha in TorchSharp
    }

    [Fact]
    public void TheScanFindsEachKindOfTemporaryScalarInCodeThatHasThem()
    {
        var found = IlCallScanner.Calls(typeof(NoTemporaryScalarsTests).Assembly.Location)
            .Where(c => c.Caller.EndsWith("+Unsafe::Examples", StringComparison.Ordinal))
            .Where(c => CreatesScalar(c.Callee) || Racy.Value.Contains(c.Callee))
            .Select(c => c.Callee)
            .ToHashSet();
        Assert.Contains("Tensor::op_Addition(Tensor,Tensor)", found);
        Assert.Contains("Tensor::op_Addition(Tensor,Double)", found);
        Assert.Contains("Scalar::op_Implicit(Int32)", found);                 // clamp(0, 1)
        Assert.Contains("Tensor::add(Tensor)", found);
        Assert.Contains("torch::arange(Scalar,Nullable`1<ScalarType>,Device,Boolean)", found);
    }

    /// <summary>What the scan must catch (never run).</summary>
    private static class Unsafe
    {
        public static Tensor[] Examples(Tensor a, Tensor b) =>
            [a + b, a + 1.0, a.clamp(0, 1), a.add(b), arange(5, ScalarType.Float32, CPU)];
    }
}
