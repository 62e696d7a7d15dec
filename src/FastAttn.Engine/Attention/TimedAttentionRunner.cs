using System.Diagnostics;
using FastAttn.Engine.Models.DiT;
using TorchSharp;
using static TorchSharp.torch;

namespace FastAttn.Engine.Attention;

/// <summary>
/// Wraps a runner and adds up the wall time of every self-attention module call (QKV, attention and output projection), of
/// every block, feed-forward and cross-attention call (<see cref="Times"/>), synchronising a CUDA device around each call so
/// the time is the module's, not the queue's.
/// </summary>
internal sealed class TimedAttentionRunner : ISelfAttentionRunner
{
    private readonly ISelfAttentionRunner _inner;
    private readonly Device _device;
    private long _ticks, _blockTicks, _mlpTicks, _crossTicks;

    public TimedAttentionRunner(ISelfAttentionRunner inner, Device device)
    {
        _inner = inner ?? throw new ArgumentNullException(nameof(inner));
        _device = device ?? throw new ArgumentNullException(nameof(device));
    }

    /// <summary>The wrapped runner.</summary>
    public ISelfAttentionRunner Inner => _inner;

    /// <summary>Time spent in each part so far.</summary>
    public ModuleTimes Times => new(Stopwatch.GetElapsedTime(0, _ticks), Stopwatch.GetElapsedTime(0, _blockTicks),
        Stopwatch.GetElapsedTime(0, _mlpTicks), Stopwatch.GetElapsedTime(0, _crossTicks));

    public void BeginStep(int stepIndex) => _inner.BeginStep(stepIndex);

    public Tensor Run(int layer, IAttentionProjections attention, Tensor x) => Timed(ref _ticks, () => _inner.Run(layer, attention, x));

    public bool ReusesAttention(int layer, long[] shape) => _inner.ReusesAttention(layer, shape);

    public bool ReusesFeedForward(int layer, long[] shape) => _inner.ReusesFeedForward(layer, shape);

    public Tensor RunFeedForward(int layer, Func<Tensor, Tensor> feedForward, Tensor x, Tensor gate) =>
        Timed(ref _mlpTicks, () => _inner.RunFeedForward(layer, feedForward, x, gate));

    public Tensor RunBlock(int layer, Tensor h, Func<Tensor, Tensor> block) => Timed(ref _blockTicks, () => _inner.RunBlock(layer, h, block));

    /// <inheritdoc />
    public Tensor RunCrossAttention(int layer, Func<Tensor, Tensor> crossAttention, Tensor x) =>
        Timed(ref _crossTicks, () => _inner.RunCrossAttention(layer, crossAttention, x));

    private Tensor Timed(ref long ticks, Func<Tensor> call)
    {
        Synchronize();
        long start = Stopwatch.GetTimestamp();
        var output = call();
        Synchronize();
        ticks += Stopwatch.GetTimestamp() - start;
        return output;
    }

    private void Synchronize()
    {
        if (_device.type == DeviceType.CUDA) cuda.synchronize(_device);
    }
}
