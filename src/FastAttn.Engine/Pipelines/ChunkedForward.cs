using static TorchSharp.torch;

namespace FastAttn.Engine.Pipelines;

/// <summary>
/// A batch's items in forward passes of at most <c>samplesPerForward</c> items (≤ 0: all in one): the pipelines'
/// <c>SamplesPerForward</c>. Each chunk has its own index, so a plan's caches are kept per chunk.
/// </summary>
internal static class ChunkedForward
{
    /// <summary>Items per forward pass for a batch of <paramref name="batch"/>.</summary>
    public static int Size(int batch, int samplesPerForward) => samplesPerForward <= 0 ? batch : Math.Min(batch, samplesPerForward);

    /// <summary>Forward passes per step for a batch of <paramref name="batch"/>.</summary>
    public static int Count(int batch, int samplesPerForward)
    {
        int size = Size(batch, samplesPerForward);
        return (batch + size - 1) / size;
    }

    /// <summary>Something per chunk (its captions, say): <paramref name="make"/>(first item, items) for every chunk, in order.</summary>
    public static T[] PerChunk<T>(int batch, int samplesPerForward, Func<int, int, T> make)
    {
        int size = Size(batch, samplesPerForward);
        return Enumerable.Range(0, Count(batch, samplesPerForward))
            .Select(chunk => make(chunk * size, Math.Min(size, batch - chunk * size))).ToArray();
    }

    /// <summary>Items <paramref name="start"/>.. of <paramref name="sample"/> as the model's input: twice over ([x; x]) when guided.</summary>
    public static Tensor Input(Tensor sample, int start, int count, bool guided)
    {
        var part = sample.narrow(0, start, count);
        return guided ? cat([part, part], 0) : part;
    }

    /// <summary>
    /// Runs <paramref name="forward"/>(chunk, first item, items) for every chunk and joins the outputs along the batch
    /// dimension (call it inside the step's dispose scope).
    /// </summary>
    public static Tensor Run(int batch, int samplesPerForward, Func<int, int, int, Tensor> forward)
    {
        int size = Size(batch, samplesPerForward);
        if (size == batch) return forward(0, 0, batch);
        var outputs = new List<Tensor>();
        for (int start = 0; start < batch; start += size) outputs.Add(forward(start / size, start, Math.Min(size, batch - start)));
        return cat(outputs, 0);
    }
}
