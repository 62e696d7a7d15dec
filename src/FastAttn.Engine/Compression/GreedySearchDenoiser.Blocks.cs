using FastAttn.Engine.Attention;
using FastAttn.Engine.Models;
using static TorchSharp.torch;

namespace FastAttn.Engine.Compression;

/// <summary>
/// The block scope's decision of one step (issue #19; docs/block-caching.md): layer by layer, under the same (i+1)/L·δ
/// threshold against the all-full output, the candidates are tried largest saving first — block reuse (the block skipped,
/// its residual contribution from the last computed step added: saves the whole block); else the attention method the
/// attention policy picks (measured or reference order, exactly as in the attention scope), then with it fixed the
/// feed-forward sharing across steps (saves the MLP), then across the CFG halves (saves half of it), then — for models with
/// cross-attention (<see cref="CrossAttention"/>) — the cross-attention output shared across steps on top of the MLP choice
/// (<see cref="BlockMethod.CrossShare"/>, <see cref="BlockMethod.CrossMlpShare"/> or <see cref="BlockMethod.CrossMlpCfgShare"/>). Each is kept only
/// when the loss stays under the threshold. Trials write no caches; the layer's final choice is then run once, writing
/// its caches, so every step's caches are exactly a generation's with the final plan.
/// </summary>
internal sealed partial class GreedySearchDenoiser
{
    /// <summary>Whether the model's blocks have a cross-attention the search may share across steps (PixArt, Open-Sora).</summary>
    internal bool CrossAttention { get; set; }

    /// <summary>The feed-forward candidates after the attention method is fixed, largest saving first.</summary>
    private BlockMethod[] MlpCandidates => _guided ? [BlockMethod.MlpShare, BlockMethod.MlpCfgShare] : [BlockMethod.MlpShare];

    /// <summary>Whether a skipped block may be forecast from its two most recent computed steps (else only reused).</summary>
    internal bool Forecast { get; init; }

    /// <summary>
    /// The ways to skip layer <paramref name="layer"/>'s block at this step: the forecast first (when on and the layer has two
    /// computed steps to extrapolate from; with one it would equal reuse), then reuse.
    /// </summary>
    private IEnumerable<BlockMethod> SkipCandidates(int layer)
    {
        if (Forecast && BlockMethods.LastComputed(_blocks!, BlockMethods.LastComputed(_blocks!, _step, layer), layer) >= 0)
            yield return BlockMethod.Forecast;
        yield return BlockMethod.Reuse;
    }

    private Tensor DecideBlocks(ITransformerPass pass, Tensor reference)
    {
        var blocks = _blocks!;
        var h = pass.Tokens;                                                                 // layer i's input, with the final methods of 0..i−1
        for (int i = 0; i < _depth; i++)
        {
            _cancel.ThrowIfCancellationRequested();
            if (!SkipCandidates(i).Any(b => Accepts(pass, reference, h, i, AttentionMethod.OutputShare, b)))
            {
                var attention = AttentionMethod.Full;
                foreach (var m in _policy.For(_methods, _step, i))
                    if (Accepts(pass, reference, h, i, m, BlockMethod.Full)) { attention = m; break; }
                var block = BlockMethod.Full;
                foreach (var b in MlpCandidates)
                    if (Accepts(pass, reference, h, i, attention, b)) { block = b; break; }
                var cross = block switch
                {
                    _ when block.SharesMlp() => BlockMethod.CrossMlpShare,
                    _ when block.SharesCfg() => BlockMethod.CrossMlpCfgShare,
                    _ => BlockMethod.CrossShare,
                };
                if (CrossAttention && Accepts(pass, reference, h, i, attention, cross)) block = cross;
                (_methods[_step][i], blocks[_step][i]) = (attention, block);
            }
            _runner.WriteMode = CacheWriteMode.Commit;                                       // the layer's final choice, caches written
            var next = Block(i, h, pass);
            if (!ReferenceEquals(h, pass.Tokens)) h.Dispose();
            h = next;
            _progress?.Report(new PlanSearchProgress(_step, _steps, i, _depth, ForwardEquivalents));
        }
        using var scope = NewDisposeScope();
        var output = pass.Head(h);
        if (!ReferenceEquals(h, pass.Tokens)) h.Dispose();
        return output.MoveToOuterDisposeScope();
    }

    /// <summary>
    /// Sets layer <paramref name="layer"/>'s entry to (<paramref name="attention"/>, <paramref name="block"/>) and reports
    /// whether its output, from the layer's input <paramref name="h"/> on and writing nothing, stays under the threshold.
    /// </summary>
    private bool Accepts(ITransformerPass pass, Tensor reference, Tensor h, int layer, AttentionMethod attention, BlockMethod block)
    {
        (_methods[_step][layer], _blocks![_step][layer]) = (attention, block);
        _runner.WriteMode = CacheWriteMode.Discard;
        using var scope = NewDisposeScope();
        var next = Block(layer, h, pass);
        var trial = RunFrom(layer + 1, next, pass);
        bool accepted = Loss(reference, trial) < Threshold(layer);
        if (!accepted) (_methods[_step][layer], _blocks[_step][layer]) = (AttentionMethod.Full, BlockMethod.Full);
        return accepted;
    }
}
