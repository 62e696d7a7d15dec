using System.Collections.Concurrent;
using TorchSharp;
using static TorchSharp.torch;

namespace FastAttn.Engine.Runtime;

/// <summary>
/// Tensor arithmetic with numbers that is safe from TorchSharp's temporary-Scalar race. A TorchSharp
/// <see cref="Scalar"/> is a class whose finalizer frees its native <c>c10::Scalar</c>, and dispose scopes do not track
/// it: <c>x * 2.5</c>, <c>x.clamp(0, 1)</c>, and even <c>a + b</c> on two tensors (TorchSharp passes a temporary alpha
/// of 1) create a Scalar that is dead as soon as its handle is read, so a garbage collection during the native call can
/// free it while libtorch still reads it: an error from <c>c10::Scalar::toFloat</c> under load, or silently wrong
/// numbers. The helpers here keep every Scalar alive until the native call returns: constants come from a process-wide
/// cache (<see cref="One"/>, <see cref="Of(double)"/>), and values that vary at run time are wrapped in a
/// <c>using</c> inside the helper. Each helper runs the same libtorch kernel with the same Scalar as the TorchSharp
/// operator it replaces, so results are bit-identical; <c>Robustness/NoTemporaryScalarsTests</c> fails the build's
/// tests on any new call that creates a temporary Scalar.
/// </summary>
public static class Scalars
{
    private static readonly ConcurrentDictionary<long, Scalar> s_doubles = new();
    private static readonly ConcurrentDictionary<long, Scalar> s_longs = new();

    /// <summary>The integer 1, as TorchSharp's default alpha of <c>add</c> (integral, so integer tensors stay integers).</summary>
    public static Scalar One { get; } = Of(1L);

    /// <summary>
    /// A process-lifetime Scalar holding the floating-point <paramref name="value"/> (cached by its exact bits). For
    /// constants written in the code (<c>full(.., Of(0.0))</c>, <c>masked_fill(m, Of(double.NegativeInfinity))</c>):
    /// each distinct value stays in memory for good, so never pass values that change per step or per request; the
    /// <see cref="Plus(Tensor, double)"/> family takes those.
    /// </summary>
    public static Scalar Of(double value) =>
        s_doubles.GetOrAdd(BitConverter.DoubleToInt64Bits(value), static bits => BitConverter.Int64BitsToDouble(bits).ToScalar());

    /// <summary>A process-lifetime integral Scalar holding <paramref name="value"/>; for constants only, as <see cref="Of(double)"/>.</summary>
    public static Scalar Of(long value) => s_longs.GetOrAdd(value, static v => v.ToScalar());

    /// <summary><c>a + b</c> (<c>add(b, alpha: 1)</c>).</summary>
    public static Tensor Plus(this Tensor a, Tensor b) => a.add(b, One);

    /// <summary><c>a + b</c> with a floating-point number.</summary>
    public static Tensor Plus(this Tensor a, double b) => With(a, b, static (t, s) => t.add(s, One));

    /// <summary><c>a + b</c> with an integer (integer tensors stay integers).</summary>
    public static Tensor Plus(this Tensor a, long b) => With(a, b, static (t, s) => t.add(s, One));

    /// <summary><c>a - b</c> with a floating-point number.</summary>
    public static Tensor Minus(this Tensor a, double b) => With(a, b, static (t, s) => t.sub(s));

    /// <summary><c>a - b</c> with an integer (integer tensors stay integers).</summary>
    public static Tensor Minus(this Tensor a, long b) => With(a, b, static (t, s) => t.sub(s));

    /// <summary><c>a - b</c> with the number on the left, computed as TorchSharp does: <c>(-b) + a</c>.</summary>
    public static Tensor Minus(double a, Tensor b)
    {
        using var negative = b.negative();
        return negative.Plus(a);
    }

    /// <summary><c>a - b</c> with an integer on the left (integer tensors stay integers), as <c>(-b) + a</c>.</summary>
    public static Tensor Minus(long a, Tensor b)
    {
        using var negative = b.negative();
        return negative.Plus(a);
    }

    /// <summary><c>a * b</c> with a floating-point number.</summary>
    public static Tensor Times(this Tensor a, double b) => With(a, b, static (t, s) => t.mul(s));

    /// <summary><c>a * b</c> with an integer (integer tensors stay integers).</summary>
    public static Tensor Times(this Tensor a, long b) => With(a, b, static (t, s) => t.mul(s));

    /// <summary><c>a / b</c> with a floating-point number (true division).</summary>
    public static Tensor Over(this Tensor a, double b) => With(a, b, static (t, s) => t.div(s));

    /// <summary><c>a / b</c> with an integer (true division, as TorchSharp's <c>/</c>).</summary>
    public static Tensor Over(this Tensor a, long b) => With(a, b, static (t, s) => t.div(s));

    /// <summary><c>a / b</c> with the number on the left, computed as TorchSharp does: <c>reciprocal(b) * a</c>.</summary>
    public static Tensor Over(double a, Tensor b)
    {
        using var reciprocal = b.reciprocal();
        return reciprocal.Times(a);
    }

    /// <summary><c>a *= b</c> in place, for a <paramref name="b"/> that varies at run time.</summary>
    public static Tensor TimesInPlace(this Tensor a, double b) => With(a, b, static (t, s) => t.mul_(s));

    /// <summary><c>a += alpha · b</c> in place (<c>add_(b, alpha)</c>), for an <paramref name="alpha"/> that varies at run time.</summary>
    public static Tensor PlusInPlace(this Tensor a, Tensor b, double alpha)
    {
        using var s = alpha.ToScalar();
        return a.add_(b, s);
    }

    /// <summary><c>a &lt; b</c> elementwise with a floating-point number (a bool tensor).</summary>
    public static Tensor Below(this Tensor a, double b) => With(a, b, static (t, s) => t.lt(s));

    /// <summary><c>a &lt;= b</c> elementwise with an integer (a bool tensor).</summary>
    public static Tensor AtMost(this Tensor a, long b) => With(a, b, static (t, s) => t.le(s));

    /// <summary><c>a²</c>, as TorchSharp's <c>square()</c>: <c>pow(a, 2)</c> with an integral exponent.</summary>
    public static Tensor Squared(this Tensor a) => a.pow(Of(2L));

    /// <summary><c>arange(0, stop, 1)</c>, as TorchSharp's <c>arange(stop)</c> (integral start and step).</summary>
    public static Tensor Arange(long stop, ScalarType? dtype = null, Device? device = null)
    {
        using var s = stop.ToScalar();
        return arange(Of(0L), s, One, dtype, device);
    }

    /// <summary>A 1-D tensor of <paramref name="size"/> integers <paramref name="value"/> (an integral Scalar).</summary>
    public static Tensor Full(long size, long value, ScalarType? dtype = null, Device? device = null)
    {
        using var s = value.ToScalar();
        return full(size, s, dtype, device);
    }

    /// <summary>A tensor of shape <paramref name="size"/> filled with <paramref name="value"/>.</summary>
    public static Tensor Full(long[] size, double value, ScalarType? dtype = null, Device? device = null)
    {
        using var s = value.ToScalar();
        return full(size, s, dtype, device);
    }

    /// <summary><c>full_like(like, value)</c> for a value that varies at run time.</summary>
    public static Tensor FullLike(Tensor like, double value) => With(like, value, static (t, s) => full_like(t, s));

    // The Scalar is disposed after op returns: that later use keeps it alive (and unfinalized) through the native call.
    private static Tensor With(Tensor a, double value, Func<Tensor, Scalar, Tensor> op)
    {
        using var s = value.ToScalar();
        return op(a, s);
    }

    private static Tensor With(Tensor a, long value, Func<Tensor, Scalar, Tensor> op)
    {
        using var s = value.ToScalar();
        return op(a, s);
    }
}
