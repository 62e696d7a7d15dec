using static TorchSharp.torch;

namespace FastAttn.Engine.Tests.Attention;

/// <summary>Dense masked reference implementations of the window semantics (full scores + boolean mask), for tests only.</summary>
internal static class DenseWindowReference
{
    public static Tensor TokenBand(Tensor q, Tensor k, Tensor v, long w) => Masked(q, k, v, (i, j) => Math.Abs(i - j) <= w);

    public static Tensor BlockBand(Tensor q, Tensor k, Tensor v, long b, long r) =>
        Masked(q, k, v, (i, j) => Math.Abs(i / b - j / b) <= r);

    private static Tensor Masked(Tensor q, Tensor k, Tensor v, Func<long, long, bool> allowed)
    {
        using var scope = NewDisposeScope();
        long n = q.shape[2];
        var maskValues = new bool[n * n];
        for (long i = 0; i < n; i++)
            for (long j = 0; j < n; j++)
                maskValues[i * n + j] = allowed(i, j);
        var mask = tensor(maskValues).reshape(n, n);
        var qd = q.to(ScalarType.Float64);
        var scores = matmul(qd, k.to(ScalarType.Float64).transpose(2, 3)) / Math.Sqrt(q.shape[3]);
        scores = scores.masked_fill(mask.logical_not(), double.NegativeInfinity);
        var o = matmul(nn.functional.softmax(scores, -1), v.to(ScalarType.Float64));
        return o.to(q.dtype).MoveToOuterDisposeScope();
    }
}
