using System.Buffers.Binary;
using System.Numerics;
using System.Text;

namespace FastAttn.Engine.Compression.Pickle;

/// <summary>
/// Reads Python pickles (protocols 2–5) that hold only plain data, without running anything: dicts become
/// <see cref="Dictionary{TKey, TValue}"/> (keys object), lists <see cref="List{T}"/>, tuples <c>object?[]</c>, str
/// <see cref="string"/>, int <see cref="long"/> (or <see cref="BigInteger"/>), float <see cref="double"/>, bool and None.
/// Any import or call (GLOBAL, STACK_GLOBAL, REDUCE, BUILD, INST, OBJ, NEWOBJ, persistent ids, extensions) and any other
/// opcode is refused with <see cref="UnsafePickleException"/> (nothing is run); a truncated or malformed stream is an
/// <see cref="InvalidDataException"/>.
/// </summary>
public static class PlainPickleReader
{
    private static readonly object Mark = new();

    /// <summary>Reads the pickle that starts at <paramref name="position"/>; on return it points past its STOP opcode.</summary>
    public static object? Read(ReadOnlySpan<byte> data, ref int position)
    {
        var stack = new List<object?>();
        var memo = new Dictionary<long, object?>();
        while (true)
        {
            if (position >= data.Length) throw new InvalidDataException("The pickle ends before its STOP opcode.");
            int at = position;
            byte op = data[position++];
            switch (op)
            {
                case (byte)'.':
                    if (stack.Count != 1 || stack[0] == Mark) throw Malformed(at, "STOP with not exactly one value on the stack");
                    return stack[0];
                case 0x80: Take(data, ref position, 1); break;                                          // PROTO
                case 0x95: Take(data, ref position, 8); break;                                          // FRAME
                case (byte)'(': stack.Add(Mark); break;
                case (byte)']': stack.Add(new List<object?>()); break;
                case (byte)'}': stack.Add(new Dictionary<object, object?>()); break;
                case (byte)')': stack.Add(Array.Empty<object?>()); break;
                case (byte)'l': stack.Add(new List<object?>(PopToMark(stack, at))); break;
                case (byte)'t': stack.Add(PopToMark(stack, at).ToArray()); break;
                case (byte)'d': stack.Add(ToDict(new Dictionary<object, object?>(), PopToMark(stack, at), at)); break;
                case 0x85: stack.Add(PopN(stack, 1, at)); break;
                case 0x86: stack.Add(PopN(stack, 2, at)); break;
                case 0x87: stack.Add(PopN(stack, 3, at)); break;
                case (byte)'a': { var v = Pop(stack, at); ListAt(stack, at).Add(v); break; }
                case (byte)'e': { var items = PopToMark(stack, at); ListAt(stack, at).AddRange(items); break; }
                case (byte)'s': { var v = Pop(stack, at); var k = Pop(stack, at); ToDict(DictAt(stack, at), [k, v], at); break; }
                case (byte)'u': { var items = PopToMark(stack, at); ToDict(DictAt(stack, at), items, at); break; }
                case (byte)'N': stack.Add(null); break;
                case 0x88: stack.Add(true); break;
                case 0x89: stack.Add(false); break;
                case (byte)'J': stack.Add((long)BinaryPrimitives.ReadInt32LittleEndian(Take(data, ref position, 4))); break;
                case (byte)'K': stack.Add((long)Take(data, ref position, 1)[0]); break;
                case (byte)'M': stack.Add((long)BinaryPrimitives.ReadUInt16LittleEndian(Take(data, ref position, 2))); break;
                case 0x8a: stack.Add(Long(Take(data, ref position, Take(data, ref position, 1)[0]))); break;
                case 0x8b: stack.Add(Long(Take(data, ref position, Length(data, ref position, 4, at)))); break;
                case (byte)'G': stack.Add(BinaryPrimitives.ReadDoubleBigEndian(Take(data, ref position, 8))); break;
                case (byte)'X': stack.Add(Utf8(Take(data, ref position, Length(data, ref position, 4, at)), at)); break;
                case 0x8c: stack.Add(Utf8(Take(data, ref position, Take(data, ref position, 1)[0]), at)); break;
                case 0x8d: stack.Add(Utf8(Take(data, ref position, Length(data, ref position, 8, at)), at)); break;
                case (byte)'U': stack.Add(Encoding.Latin1.GetString(Take(data, ref position, Take(data, ref position, 1)[0]))); break;
                case (byte)'T': stack.Add(Encoding.Latin1.GetString(Take(data, ref position, Length(data, ref position, 4, at)))); break;
                case (byte)'q': memo[Take(data, ref position, 1)[0]] = Top(stack, at); break;
                case (byte)'r': memo[BinaryPrimitives.ReadUInt32LittleEndian(Take(data, ref position, 4))] = Top(stack, at); break;
                case 0x94: memo[memo.Count] = Top(stack, at); break;
                case (byte)'h': stack.Add(Get(memo, Take(data, ref position, 1)[0], at)); break;
                case (byte)'j': stack.Add(Get(memo, BinaryPrimitives.ReadUInt32LittleEndian(Take(data, ref position, 4)), at)); break;
                case (byte)'0': Pop(stack, at); break;
                case (byte)'1': PopToMark(stack, at); break;
                case (byte)'2': stack.Add(Top(stack, at)); break;
                default: throw new UnsafePickleException(op, at, Refused(op));
            }
        }
    }

    /// <summary>Reads a whole buffer that holds exactly one pickle.</summary>
    public static object? Read(ReadOnlySpan<byte> data)
    {
        int position = 0;
        var value = Read(data, ref position);
        if (position != data.Length) throw new InvalidDataException($"{data.Length - position} bytes follow the pickle's STOP opcode.");
        return value;
    }

    private static string Refused(byte op) => op switch
    {
        (byte)'c' => "a Python global (GLOBAL)",
        0x93 => "a Python global (STACK_GLOBAL)",
        (byte)'R' => "a call (REDUCE)",
        (byte)'b' => "an object's state to be set (BUILD)",
        (byte)'i' or (byte)'o' => "an object to be built (INST/OBJ)",
        0x81 or 0x92 => "an object to be built (NEWOBJ)",
        (byte)'P' or (byte)'Q' => "a persistent id (a tensor storage or other external object)",
        0x82 or 0x83 or 0x84 => "a registered extension (EXT)",
        _ => "an opcode outside the plain-data set",
    };

    private static ReadOnlySpan<byte> Take(ReadOnlySpan<byte> data, ref int position, int count)
    {
        if (count < 0 || count > data.Length - position) throw new InvalidDataException($"The pickle is truncated at byte {position}.");
        var slice = data.Slice(position, count);
        position += count;
        return slice;
    }

    private static int Length(ReadOnlySpan<byte> data, ref int position, int bytes, int at)
    {
        ulong n = bytes == 4 ? BinaryPrimitives.ReadUInt32LittleEndian(Take(data, ref position, 4))
            : BinaryPrimitives.ReadUInt64LittleEndian(Take(data, ref position, 8));
        return n > (ulong)(data.Length - position) ? throw Malformed(at, $"a length of {n} bytes past the end") : (int)n;
    }

    private static object Long(ReadOnlySpan<byte> bytes)
    {
        var value = new BigInteger(bytes, isUnsigned: false, isBigEndian: false);
        return value >= long.MinValue && value <= long.MaxValue ? (long)value : value;
    }

    private static string Utf8(ReadOnlySpan<byte> bytes, int at)
    {
        try { return new UTF8Encoding(false, throwOnInvalidBytes: true).GetString(bytes); }
        catch (DecoderFallbackException e) { throw new InvalidDataException($"Invalid UTF-8 in the string at byte {at}.", e); }
    }

    private static object? Pop(List<object?> stack, int at)
    {
        var v = Top(stack, at);
        stack.RemoveAt(stack.Count - 1);
        return v;
    }

    private static object? Top(List<object?> stack, int at) =>
        stack.Count == 0 || stack[^1] == Mark ? throw Malformed(at, "an empty stack") : stack[^1];

    private static object?[] PopN(List<object?> stack, int n, int at)
    {
        if (stack.Count < n || stack.Skip(stack.Count - n).Contains(Mark)) throw Malformed(at, "too few values for a tuple");
        var items = stack.GetRange(stack.Count - n, n).ToArray();
        stack.RemoveRange(stack.Count - n, n);
        return items;
    }

    private static List<object?> PopToMark(List<object?> stack, int at)
    {
        int mark = stack.LastIndexOf(Mark);
        if (mark < 0) throw Malformed(at, "no MARK");
        var items = stack.GetRange(mark + 1, stack.Count - mark - 1);
        stack.RemoveRange(mark, stack.Count - mark);
        return items;
    }

    private static List<object?> ListAt(List<object?> stack, int at) =>
        Top(stack, at) as List<object?> ?? throw Malformed(at, "APPEND to something that is not a list");

    private static Dictionary<object, object?> DictAt(List<object?> stack, int at) =>
        Top(stack, at) as Dictionary<object, object?> ?? throw Malformed(at, "SETITEM on something that is not a dict");

    private static Dictionary<object, object?> ToDict(Dictionary<object, object?> dict, List<object?> items, int at)
    {
        if (items.Count % 2 != 0) throw Malformed(at, "an odd number of dict items");
        for (int i = 0; i < items.Count; i += 2)
        {
            var key = items[i] is string or long or bool or double ? items[i]! : throw Malformed(at, "a dict key that is not a str or number");
            dict[key] = items[i + 1];
        }
        return dict;
    }

    private static object? Get(Dictionary<long, object?> memo, long key, int at) =>
        memo.TryGetValue(key, out var v) ? v : throw Malformed(at, $"memo entry {key} read before it was written");

    private static InvalidDataException Malformed(int at, string what) => new($"Malformed pickle at byte {at}: {what}.");
}
