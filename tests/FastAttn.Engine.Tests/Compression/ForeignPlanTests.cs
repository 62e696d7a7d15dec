using FastAttn.Engine.Attention;
using FastAttn.Engine.Compression;
using FastAttn.Engine.Compression.Pickle;
using FastAttn.Engine.Tests.Support;
using Xunit;

namespace FastAttn.Engine.Tests.Compression;

/// <summary>Plans written by xDiT and by the official DiTFastAttn repository (tests/data/xdit, made by its make_test_plans.py).</summary>
public sealed class ForeignPlanTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("fastattn-foreign-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private static string File(string name) => Path.Combine(TestData.Root, "xdit", name);

    private static PlanKey Key(int steps = 4) =>
        new("ab12cd34ef56" + new string('0', 52), 32, steps, "ddim", 2.5, WindowSpec.ForTokens(64), 0.075, "xdit");

    /// <summary>Both files hold the same plan: block b, step s ≥ 1 uses candidate (b + s − 1) mod 4.</summary>
    private static AttentionMethod[][] Expected()
    {
        AttentionMethod[] candidates =
            [AttentionMethod.WindowResidualCfgShare, AttentionMethod.FullCfgShare, AttentionMethod.OutputShare, AttentionMethod.WindowResidual];
        return Enumerable.Range(0, 4).Select(s => Enumerable.Range(0, 6)
            .Select(b => s == 0 ? AttentionMethod.Full : candidates[(b + s - 1) % 4]).ToArray()).ToArray();
    }

    [Theory]
    [InlineData("RESIDUAL_WINDOW_ATTN_CFG_SHARE", AttentionMethod.WindowResidualCfgShare)]
    [InlineData("FULL_ATTN_CFG_SHARE", AttentionMethod.FullCfgShare)]
    [InlineData("FULL_ATTN", AttentionMethod.Full)]
    [InlineData("RESIDUAL_WINDOW_ATTN", AttentionMethod.WindowResidual)]
    [InlineData("OUTPUT_SHARE", AttentionMethod.OutputShare)]
    [InlineData("FastAttnMethod.RESIDUAL_WINDOW_ATTN_CFG_SHARE", AttentionMethod.WindowResidualCfgShare)]
    [InlineData("RESIDUAL_WINDOW_ATTN|CFG_SHARE", AttentionMethod.WindowResidualCfgShare)]
    [InlineData("residual_window_attn+cfg_attn_share", AttentionMethod.WindowResidualCfgShare)]
    public void ParsesTheNamesXDiTAndTheReferenceWrite(string name, AttentionMethod expected) =>
        Assert.Equal(expected, AttentionMethods.Parse(name));

    [Theory]
    [InlineData("CFG_SHARE")]
    [InlineData("RESIDUAL_WINDOW_ATTN_CFG")]
    public void RejectsNamesThatAreNoMethod(string name) => Assert.Throws<FormatException>(() => AttentionMethods.Parse(name));

    [Fact]
    public void ImportsXDiTsFile()
    {
        Assert.Contains("\"RESIDUAL_WINDOW_ATTN_CFG_SHARE\"", System.IO.File.ReadAllText(File("tiny-mnist-4steps.xdit.json")));
        Assert.Equal(Expected(), XDiTPlanImporter.ImportAny(File("tiny-mnist-4steps.xdit.json"), Key()).Methods);
        var e = Assert.Throws<PlanFormatException>(() => XDiTPlanImporter.Import(File("tiny-mnist-4steps.xdit.json"), Key(5)));
        Assert.Contains("step4", e.Message);
    }

    [Theory]
    [InlineData("tiny-mnist-4steps.ditfastattn.json")]
    [InlineData("tiny-mnist-4steps.ditfastattn-legacy.json")]
    public void ImportsTheOfficialRepositorysCache(string name)
    {
        Assert.True(DiTFastAttnPlanImporter.LooksLikePickle(File(name)));
        Assert.Equal(Expected(), XDiTPlanImporter.ImportAny(File(name), Key()).Methods);
        Assert.Contains("lists 4 steps", Assert.Throws<PlanFormatException>(() => DiTFastAttnPlanImporter.Import(File(name), Key(5))).Message);
    }

    [Fact]
    public void RefusesAPickleThatImportsOrCalls()
    {
        // pickle.dumps(os.system("echo pwned")-style object, protocol=2): GLOBAL 'posix system', then REDUCE.
        byte[] evil = [0x80, 2, .. "cposix\nsystem\nq\0X\x0b\0\0\0echo pwnedq\x01\x85q\x02Rq\x03."u8];
        var e = Assert.Throws<UnsafePickleException>(() => PlainPickleReader.Read(evil));
        Assert.Equal((byte)'c', e.Opcode);
        Assert.Contains("GLOBAL", e.Message);
        var path = Path.Combine(_dir, "evil.json");
        System.IO.File.WriteAllBytes(path, evil);
        var wrapped = Assert.Throws<PlanFormatException>(() => XDiTPlanImporter.ImportAny(path, Key()));
        Assert.IsType<UnsafePickleException>(wrapped.InnerException);
        byte[] reduce = [0x80, 2, .. "]q\0)R."u8];
        Assert.Contains("REDUCE", Assert.Throws<UnsafePickleException>(() => PlainPickleReader.Read(reduce)).Message);
    }

    [Fact]
    public void ReadsPlainDataAndRejectsBrokenPickles()
    {
        byte[] data = [0x80, 2, .. "}q\0(X\x01\0\0\0aK\x05X\x01\0\0\0b]q\x01("u8, 0x88, .. "NG"u8, 0x3f, 0xf8, 0, 0, 0, 0, 0, 0, .. "h"u8, 1, .. "eu."u8];
        var dict = Assert.IsType<Dictionary<object, object?>>(PlainPickleReader.Read(data));
        Assert.Equal(5L, dict["a"]);
        var list = Assert.IsType<List<object?>>(dict["b"]);
        Assert.Equal(true, list[0]);
        Assert.Null(list[1]);
        Assert.Equal(1.5, list[2]);
        Assert.Same(list, list[3]);
        Assert.Throws<InvalidDataException>(() => PlainPickleReader.Read(data.AsSpan(0, data.Length - 1)));
        var notJson = Path.Combine(_dir, "zip.json");
        System.IO.File.WriteAllBytes(notJson, "PK\x03\x04garbage"u8.ToArray());
        Assert.Contains("not a DiTFastAttn plan cache", Assert.Throws<PlanFormatException>(() => XDiTPlanImporter.ImportAny(notJson, Key())).Message);
    }
}
