namespace FastAttn.Engine.Attention;

/// <summary>
/// Wall time a timed generation spent in the transformer's parts, summed over steps and layers (<see cref="Blocks"/> includes
/// the others, which run inside the blocks): for a measured per-part cost model (<c>bench e2e</c>'s prediction).
/// </summary>
/// <param name="Attention">The self-attention modules.</param>
/// <param name="Blocks">The transformer blocks, whole (a skipped block: the time to add its cached contribution).</param>
/// <param name="FeedForward">The feed-forward (MLP) modules, gate included.</param>
/// <param name="CrossAttention">The cross-attention modules (PixArt, Open-Sora; zero otherwise).</param>
public sealed record ModuleTimes(TimeSpan Attention, TimeSpan Blocks, TimeSpan FeedForward, TimeSpan CrossAttention)
{
    /// <summary>The sum of two timings (chunks of one generation).</summary>
    public static ModuleTimes operator +(ModuleTimes a, ModuleTimes b)
    {
        ArgumentNullException.ThrowIfNull(a);
        ArgumentNullException.ThrowIfNull(b);
        return new(a.Attention + b.Attention, a.Blocks + b.Blocks, a.FeedForward + b.FeedForward, a.CrossAttention + b.CrossAttention);
    }
}
