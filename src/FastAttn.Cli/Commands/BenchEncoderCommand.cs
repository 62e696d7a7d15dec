using System.Runtime.InteropServices;
using System.CommandLine;
using FastAttn.Cli.Reporting;
using FastAttn.Engine.Benchmarks;
using TorchSharp;

namespace FastAttn.Cli.Commands;

/// <summary><c>fastattn bench encoder</c>: peak resident memory and time of encoding a prompt with a T5 encoder of a given shape.</summary>
internal static class BenchEncoderCommand
{
    public static Command Create()
    {
        var config = new Option<string>("--config")
        {
            Description = $"Encoder shape: {string.Join(", ", TextEncoderMemoryBenchmark.Configs.Keys)} " +
                "(xxl: T5-v1.1-XXL, the text-conditioned models' encoder).",
            DefaultValueFactory = _ => "xxl",
        };
        var dtype = new Option<string>("--dtype")
        {
            Description = "Weight dtype: bf16 (computes in fp32 a matrix at a time) or fp32.",
            DefaultValueFactory = _ => "bf16",
        };
        var tokens = new Option<int>("--tokens")
        {
            Description = $"Prompt tokens (default {TextEncoderMemoryBenchmark.DefaultTokens}, the text-to-image models' length).",
            DefaultValueFactory = _ => TextEncoderMemoryBenchmark.DefaultTokens,
        };
        var output = new Option<string>("--out", "-o")
        {
            Description = "Output base path (writes .json, .md, .png).",
            DefaultValueFactory = _ => "bench/encoder",
        };
        var command = new Command("encoder",
            "Peak memory and time of encoding one prompt with a random-weight T5 encoder (T5-XXL by default; target ≤ 12 GB).")
        {
            config, dtype, tokens, output,
        };
        command.SetAction(async (parse, cancellationToken) =>
        {
            var shape = TextEncoderMemoryBenchmark.Config(parse.GetValue(config)!);
            var weights = CommonOptions.WeightDType(parse.GetValue(dtype)!, "--dtype");
            var row = await Task.Run(() => TextEncoderMemoryBenchmark.Run(shape, weights, parse.GetValue(tokens), new Progress<string>(m =>
                Console.Error.WriteLine(m))), cancellationToken);
            const double GiB = 1024.0 * 1024 * 1024;
            var report = new BenchReport("T5 encoder: peak resident memory of encoding one prompt",
                ["config", "dtype", "parameters", "weightGiB", "residentAfterLoadGiB", "peakResidentGiB", "encodeSeconds", "targetGiB"]);
            report.Provenance["machine"] = $"{Environment.ProcessorCount} cores, {RuntimeInformation.OSDescription}, " +
                $"CPU, {torch.get_num_threads()} threads";
            report.Provenance["encoder"] = $"random weights, {shape.NumLayers} layers, d_model {shape.DModel}, {shape.NumHeads} heads × " +
                $"{shape.DKv}, d_ff {shape.DFf}, vocab {shape.VocabSize}; {parse.GetValue(tokens)} tokens";
            report.Provenance["measure"] = "VmRSS after building the encoder; VmHWM (peak, reset before encoding) of the whole process while " +
                "encoding";
            report.Add(new()
            {
                ["config"] = parse.GetValue(config), ["dtype"] = weights.ToString(), ["parameters"] = row.Parameters,
                ["weightGiB"] = row.WeightBytes / GiB, ["residentAfterLoadGiB"] = row.ResidentAfterLoadBytes / GiB,
                ["peakResidentGiB"] = row.PeakResidentBytes / GiB, ["encodeSeconds"] = row.EncodeSeconds, ["targetGiB"] = 12.0,
            });
            report.Write(parse.GetValue(output)!, plot =>
            {
                var bars = plot.Add.Bars(new[]
                {
                    new ScottPlot.Bar { Position = 0, Value = row.WeightBytes / GiB, FillColor = ScottPlot.Colors.Gray, Label = "weights" },
                    new ScottPlot.Bar { Position = 1, Value = row.ResidentAfterLoadBytes / GiB, FillColor = ScottPlot.Colors.SteelBlue, Label =
                        "resident after load" },
                    new ScottPlot.Bar { Position = 2, Value = row.PeakResidentBytes / GiB, FillColor = ScottPlot.Colors.OrangeRed, Label =
                        "peak while encoding" },
                });
                plot.Axes.Bottom.SetTicks([0, 1, 2], ["weights", "resident after load", "peak while encoding"]);
                var target = plot.Add.HorizontalLine(12);
                target.LegendText = "target 12 GiB";
                plot.Axes.Left.Label.Text = "GiB";
                plot.Axes.Margins(bottom: 0);
                plot.ShowLegend();
            });
            return ExitCodes.Ok;
        });
        return command;
    }
}
