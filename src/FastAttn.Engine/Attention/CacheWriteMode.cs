namespace FastAttn.Engine.Attention;

/// <summary>What a <see cref="FastAttentionRunner"/> does with the caches a forward pass would write.</summary>
internal enum CacheWriteMode
{
    /// <summary>Write them (a real generation step).</summary>
    Commit,

    /// <summary>Drop them (a search trial: it must leave no trace).</summary>
    Discard,

    /// <summary>Keep the pending layer's writes aside until <see cref="FastAttentionRunner.PromotePending"/>; drop the others.</summary>
    PendingLayer,
}
