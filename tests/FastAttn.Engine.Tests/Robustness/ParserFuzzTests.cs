using CsCheck;
using Xunit;
using FastAttn.Engine.Robustness;

namespace FastAttn.Engine.Tests.Robustness;

/// <summary>
/// Property-based fuzzing of every file parser (a couple of seconds each): a seed with mutations drawn by CsCheck is
/// either accepted or refused with the parser's typed exception — never another exception, a hang, or a crash.
/// </summary>
public sealed class ParserFuzzTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("fastattn-fuzz-test-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    internal static readonly Gen<FuzzMutation> Mutation =
        Gen.Select(Gen.Int[0, 7], Gen.Int, Gen.Int, (k, p, v) => new FuzzMutation((FuzzMutationKind)k, p, v));

    [Theory]
    [InlineData("safetensors")]
    [InlineData("pt")]
    [InlineData("plan")]
    [InlineData("config")]
    [InlineData("scheduler")]
    [InlineData("tokenizer")]
    public void MutatedInputsAreAcceptedOrRefusedTyped(string name)
    {
        var target = FuzzTargets.Get(name);
        Gen.Select(Gen.Int[0, target.Seeds.Count - 1], Mutation.Array[0, 4]).Sample((seed, mutations) =>
        {
            var input = FuzzMutation.Apply(target.Seeds[seed], mutations);
            var result = target.Run(input, _dir, TimeSpan.FromSeconds(20));
            Assert.True(result.Outcome != FuzzOutcome.Finding, $"{name}: {result.Error}");
        }, time: 2, threads: 1);
    }

    [Fact]
    public void TheSeedsThemselvesLoad()
    {
        foreach (var name in FuzzTargets.Names)
        {
            var target = FuzzTargets.Get(name);
            var result = target.Run(target.Seeds[0], _dir);
            Assert.True(result.Outcome == FuzzOutcome.Accepted, $"{name}: {result.Error}");
        }
    }

    [Fact]
    public void TheRunnerCountsEveryInput()
    {
        var report = FuzzRunner.Run(FuzzTargets.Get("plan"), TimeSpan.FromMinutes(1), maxIterations: 50, seed: 7);
        Assert.Equal(50, report.Iterations);
        Assert.Equal(50, report.Accepted + report.Refused + report.Findings.Sum(f => f.Count));
        Assert.Empty(report.Findings);
    }
}
