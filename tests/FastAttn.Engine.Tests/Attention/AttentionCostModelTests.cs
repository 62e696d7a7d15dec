using FastAttn.Engine.Attention;
using FastAttn.Engine.Attention.Costs;
using FastAttn.Engine.Attention.Windows;
using Microsoft.Extensions.Logging;
using Xunit;

namespace FastAttn.Engine.Tests.Attention;

/// <summary>The cost model's cache and default choice, with a counting fake measurer: no timing.</summary>
public sealed class AttentionCostModelTests : IDisposable
{
    private readonly string _dir = Path.Combine(Path.GetTempPath(), "fastattn-costs-" + Guid.NewGuid().ToString("N"));
    private static readonly CostEnvironment Cpu = new("cpu", "Test CPU", 2, "0.107.0", "0.1.0");
    private static readonly AttentionShape Shape = new(64, 4, 32);

    private static AttentionCosts Costs(double block = 3, double gathered = 2, double dense = 4) => new(10, 14, 12, 6, 7, 0.1, 5,
        new Dictionary<WindowImplementation, double>
        {
            [WindowImplementation.BlockBand] = block, [WindowImplementation.Gathered] = gathered, [WindowImplementation.DenseMasked] = dense,
        });

    [Fact]
    public void TheCacheRoundTripsWithoutMeasuringAgain()
    {
        var measurer = new CountingMeasurer(Costs());
        var first = new MeasuredCostModel(measurer, Cpu, _dir).CostsFor(Shape);
        var model = new MeasuredCostModel(measurer, Cpu, _dir);
        var second = model.CostsFor(Shape);
        Assert.Equal(1, measurer.Calls);
        Assert.True(File.Exists(model.PathFor(Shape)));
        Assert.Empty(Directory.GetFiles(_dir, "*.tmp"));
        Assert.Equal(first.FullMs, second.FullMs);
        Assert.Equal(first.RefreshMs, second.RefreshMs);
        Assert.Equal(first.WindowKernelMs.OrderBy(p => p.Key), second.WindowKernelMs.OrderBy(p => p.Key));
        Assert.Equal(WindowImplementation.Gathered, second.DefaultWindow);
        Assert.Same(second, model.CostsFor(Shape));                                           // memory cache
        Assert.Equal(1, measurer.Calls);
    }

    [Theory]
    [InlineData("{ not json")]
    [InlineData("")]
    [InlineData("{\"key\":\"another\",\"costs\":null}")]
    [InlineData("{\"key\": \"cpu-t2\", \"environment\": {\"device\": \"cp")]                   // truncated mid-write
    [InlineData("\u0000\u0001\u00ff\u00fePK\u0003\u0004\u0007garbage\u0000")]                  // binary garbage
    public void ACorruptCacheFileIsMeasuredAgainWithAWarning(string content)
    {
        var measurer = new CountingMeasurer(Costs());
        var path = new MeasuredCostModel(measurer, Cpu, _dir).PathFor(Shape);
        Directory.CreateDirectory(_dir);
        File.WriteAllText(path, content);
        var logger = new ListLogger();
        var costs = new MeasuredCostModel(measurer, Cpu, _dir, logger).CostsFor(Shape);
        Assert.Equal(1, measurer.Calls);
        Assert.Equal(10, costs.FullMs);
        Assert.Contains(logger.Entries, e => e.Level == LogLevel.Warning && e.Message.Contains(path, StringComparison.Ordinal));
        Assert.Equal(10, new MeasuredCostModel(measurer, Cpu, _dir).CostsFor(Shape).FullMs);       // rewritten, valid again
        Assert.Equal(1, measurer.Calls);
    }

    [Fact]
    public void InvalidLatenciesInTheFileAreMeasuredAgain()
    {
        var measurer = new CountingMeasurer(Costs());
        var model = new MeasuredCostModel(measurer, Cpu, _dir);
        model.CostsFor(Shape);
        File.WriteAllText(model.PathFor(Shape), File.ReadAllText(model.PathFor(Shape)).Replace("\"fullMs\": 10", "\"fullMs\": -1",
            StringComparison.Ordinal));
        var logger = new ListLogger();
        new MeasuredCostModel(measurer, Cpu, _dir, logger).CostsFor(Shape);
        Assert.Equal(2, measurer.Calls);
        Assert.Contains(logger.Entries, e => e.Level == LogLevel.Warning);
    }

    [Fact]
    public void CacheKeysDifferByThreadsShapeDeviceAndVersion()
    {
        var names = new[]
        {
            Cpu.FileNameFor(Shape),
            (Cpu with { Threads = 4 }).FileNameFor(Shape),
            (Cpu with { DeviceKind = "cuda", DeviceName = "cuda0-of-1" }).FileNameFor(Shape),
            (Cpu with { DeviceName = "Other CPU" }).FileNameFor(Shape),
            (Cpu with { TorchSharpVersion = "0.108.0" }).FileNameFor(Shape),
            (Cpu with { FastAttnVersion = "0.2.0" }).FileNameFor(Shape),
            Cpu.FileNameFor(Shape with { Tokens = 256 }),
            Cpu.FileNameFor(Shape with { Heads = 8 }),
            Cpu.FileNameFor(Shape with { HeadDim = 64 }),
            Cpu.FileNameFor(Shape with { Batch = 4 }),
            Cpu.FileNameFor(Shape with { Semantics = WindowSemantics.TokenBand }),
            Cpu.FileNameFor(Shape with { HalfWidth = 4 }),
        };
        Assert.Equal(names.Length, names.Distinct().Count());
        Assert.Equal(Cpu.FileNameFor(new AttentionShape(64, 4, 32)), names[0]);
        Assert.All(names, n => Assert.Equal(n, Path.GetFileName(n)));
    }

    [Fact]
    public void AMeasurementPerShapeAndTheDefaultIsTheFastestImplementation()
    {
        var measurer = new CountingMeasurer(Costs(block: 1));
        var model = new MeasuredCostModel(measurer, Cpu, _dir);
        Assert.Equal(WindowImplementation.BlockBand, ((IAttentionCostModel)model).DefaultWindow(Shape));
        model.CostsFor(Shape with { Tokens = 128 });
        Assert.Equal(2, measurer.Calls);
    }

    [Fact]
    public void TheFixedModelChoosesTheFastestImplementationWithoutTiming()
    {
        IAttentionCostModel model = new FixedCostModel(s => s.Tokens < 1024 ? Costs(block: 3, gathered: 2, dense: 1) : Costs(block: 1));
        Assert.Equal(WindowImplementation.DenseMasked, model.DefaultWindow(Shape));
        Assert.Equal(WindowImplementation.BlockBand, model.DefaultWindow(Shape with { Tokens = 4096 }));
        Assert.Equal(WindowImplementation.BlockBand, new FixedCostModel(Costs(block: 2, gathered: 2)).CostsFor(Shape).DefaultWindow);  // tie
        var costs = model.CostsFor(Shape);
        Assert.Equal(1.2, costs.ModuleFraction(AttentionMethod.WindowResidual), 12);
        Assert.Equal(1.4, costs.ModuleFraction(AttentionMethod.Full, refresh: true), 12);
        Assert.Equal(0.01, costs.ModuleFraction(AttentionMethod.OutputShare), 12);
    }

    [Fact]
    public void BadShapesAreRefused()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => new AttentionShape(0, 4, 32));
        Assert.Throws<ArgumentOutOfRangeException>(() => new AttentionShape(64, 4, 32, Batch: 0));
    }

    public void Dispose()
    {
        if (Directory.Exists(_dir)) Directory.Delete(_dir, recursive: true);
    }

    private sealed class CountingMeasurer(AttentionCosts costs) : IAttentionCostMeasurer
    {
        public int Calls { get; private set; }

        public AttentionCosts Measure(AttentionShape shape, CancellationToken cancellationToken = default)
        {
            Calls++;
            return costs;
        }
    }

    private sealed class ListLogger : ILogger
    {
        public List<(LogLevel Level, string Message)> Entries { get; } = [];

        public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => true;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter) =>
            Entries.Add((logLevel, formatter(state, exception)));
    }
}
