using System.Buffers.Binary;
using System.Text;

namespace FastAttn.Engine.Checkpoints;

/// <summary>A Python global named by a pickle (<c>module.name</c>), allowed by the unpickler's list.</summary>
/// <param name="Module">The module, e.g. "torch._utils".</param>
/// <param name="Name">The name, e.g. "_rebuild_tensor_v2".</param>
internal sealed record PickleGlobal(string Module, string Name)
{
    /// <inheritdoc />
    public override string ToString() => $"{Module}.{Name}";
}

/// <summary>
/// A pickle reader for PyTorch checkpoints (protocols 2–5) that never runs anything a file names: it knows the binary
/// opcodes torch.save writes, builds Python values as .NET ones (tuple → object?[], list → List, dict →
/// Dictionary), and refuses any global outside <see cref="AllowedGlobals"/> — <c>os.system</c>, <c>builtins.eval</c>,
/// <c>argparse.Namespace</c> alike — before it is used. Calls (REDUCE, NEWOBJ) and persistent ids go to callbacks.
/// Every length is checked against the bytes left, so a crafted pickle cannot make it allocate more than it holds.
/// </summary>
internal sealed class RestrictedUnpickler
{
    /// <summary>The globals a checkpoint may name: tensor rebuilding, typed storages and OrderedDict.</summary>
    public static readonly IReadOnlySet<string> AllowedGlobals = new HashSet<string>(StringComparer.Ordinal)
    {
        "collections.OrderedDict", "torch._utils._rebuild_tensor", "torch._utils._rebuild_tensor_v2",
        "torch._utils._rebuild_parameter", "torch._utils._rebuild_parameter_with_state",
        "torch.DoubleStorage", "torch.FloatStorage", "torch.HalfStorage", "torch.BFloat16Storage", "torch.LongStorage",
        "torch.IntStorage", "torch.ShortStorage", "torch.CharStorage", "torch.ByteStorage", "torch.BoolStorage",
    };

    private const int MaxDepth = 10_000;
    private readonly byte[] _data;
    private readonly string _path;
    private readonly Func<PickleGlobal, object?[], object?> _call;
    private readonly Func<object?, object?> _persistentLoad;
    private readonly List<object?> _stack = [];
    private readonly Stack<int> _marks = new();
    private readonly Dictionary<long, object?> _memo = [];
    private int _pos;

    /// <summary>Creates a reader of <paramref name="data"/>; <paramref name="path"/> names the file in errors.</summary>
    public RestrictedUnpickler(byte[] data, string path, Func<PickleGlobal, object?[], object?> call, Func<object?, object?> persistentLoad)
    {
        _data = data;
        _path = path;
        _call = call;
        _persistentLoad = persistentLoad;
    }

    /// <summary>Runs the pickle to its STOP and returns the value it built.</summary>
    public object? Load()
    {
        while (true)
        {
            byte op = Byte();
            switch (op)
            {
                case 0x80: Byte(); break;                                                     // PROTO
                case 0x95: Bytes(8); break;                                                   // FRAME
                case (byte)'.': return _stack.Count == 1 ? _stack[0] : throw Bad("the pickle stops with a malformed stack");
                case (byte)'(': if (_marks.Count >= MaxDepth) throw Bad("nesting too deep"); _marks.Push(_stack.Count); break;
                case (byte)'0': Pop(); break;
                case (byte)'1': PopMark(); break;
                case (byte)'2': Push(Peek()); break;
                case (byte)'N': Push(null); break;
                case 0x88: Push(true); break;
                case 0x89: Push(false); break;
                case (byte)'J': Push((long)BinaryPrimitives.ReadInt32LittleEndian(Bytes(4))); break;
                case (byte)'K': Push((long)Byte()); break;
                case (byte)'M': Push((long)BinaryPrimitives.ReadUInt16LittleEndian(Bytes(2))); break;
                case 0x8a: Push(Long(Byte())); break;                                         // LONG1
                case (byte)'G': Push(BinaryPrimitives.ReadDoubleBigEndian(Bytes(8))); break;
                case (byte)'X': Push(Text(Length(4))); break;                                 // BINUNICODE
                case 0x8c: Push(Text(Byte())); break;                                         // SHORT_BINUNICODE
                case 0x8d: Push(Text(Length(8))); break;                                      // BINUNICODE8
                case (byte)'T': Push(Text(Length(4))); break;                                 // BINSTRING
                case (byte)'U': Push(Text(Byte())); break;                                    // SHORT_BINSTRING
                case (byte)'B': Push(Bytes(Length(4)).ToArray()); break;                      // BINBYTES
                case (byte)'C': Push(Bytes(Byte()).ToArray()); break;                         // SHORT_BINBYTES
                case 0x8e: Push(Bytes(Length(8)).ToArray()); break;                           // BINBYTES8
                case (byte)')': Push(Array.Empty<object?>()); break;
                case 0x85: Push(new[] { Pop() }); break;
                case 0x86: { var b = Pop(); var a = Pop(); Push(new[] { a, b }); break; }
                case 0x87: { var c = Pop(); var b = Pop(); var a = Pop(); Push(new[] { a, b, c }); break; }
                case (byte)'t': Push(PopMark().ToArray()); break;
                case (byte)']': Push(new List<object?>()); break;
                case (byte)'l': Push(PopMark()); break;
                case 0x8f: Push(new List<object?>()); break;                                  // EMPTY_SET
                case 0x91: Push(PopMark()); break;                                            // FROZENSET
                case (byte)'}': Push(new Dictionary<object, object?>()); break;
                case (byte)'d': Push(SetItems(new Dictionary<object, object?>(), PopMark())); break;
                case (byte)'a': { var v = Pop(); List(Peek()).Add(v); break; }
                case (byte)'e': case 0x90: { var items = PopMark(); List(Peek()).AddRange(items); break; }
                case (byte)'s': { var v = Pop(); var k = Pop(); SetItems(Dict(Peek()), [k, v]); break; }
                case (byte)'u': { var items = PopMark(); SetItems(Dict(Peek()), items); break; }
                case (byte)'q': _memo[Byte()] = Peek(); break;                                // BINPUT
                case (byte)'r': _memo[BinaryPrimitives.ReadUInt32LittleEndian(Bytes(4))] = Peek(); break;
                case 0x94: _memo[_memo.Count] = Peek(); break;                                // MEMOIZE
                case (byte)'h': Push(Memo(Byte())); break;                                    // BINGET
                case (byte)'j': Push(Memo(BinaryPrimitives.ReadUInt32LittleEndian(Bytes(4)))); break;
                case (byte)'c': Push(Global(Line(), Line())); break;                          // GLOBAL
                case 0x93: { var name = Pop(); var module = Pop(); Push(Global(Str(module), Str(name))); break; }
                case (byte)'R': { var args = Tuple(Pop()); Push(_call(Callable(Pop()), args)); break; }
                case 0x81: { var args = Tuple(Pop()); Push(_call(Callable(Pop()), args)); break; } // NEWOBJ
                case (byte)'Q': Push(_persistentLoad(Pop())); break;                          // BINPERSID
                case (byte)'b': Build(); break;
                default: throw Bad($"pickle opcode 0x{op:x2} at byte {_pos - 1} is not supported (only torch.save's binary opcodes are)");
            }
        }
    }

    private CheckpointFormatException Bad(string message) => new(_path, message + ".");

    private byte Byte() => _pos < _data.Length ? _data[_pos++] : throw Bad("the pickle is truncated");

    private ReadOnlySpan<byte> Bytes(long count)
    {
        if (count < 0 || count > _data.Length - _pos) throw Bad("the pickle is truncated (a length points past its end)");
        var span = _data.AsSpan(_pos, (int)count);
        _pos += (int)count;
        return span;
    }

    private long Length(int size) => size == 4
        ? BinaryPrimitives.ReadUInt32LittleEndian(Bytes(4))
        : (long)Math.Min(BinaryPrimitives.ReadUInt64LittleEndian(Bytes(8)), long.MaxValue);

    private string Text(long length) => Encoding.UTF8.GetString(Bytes(length));

    private string Line()
    {
        int end = Array.IndexOf(_data, (byte)'\n', _pos, Math.Min(_data.Length - _pos, 512));
        if (end < 0) throw Bad("a GLOBAL name is not terminated");
        var text = Encoding.UTF8.GetString(_data, _pos, end - _pos);
        _pos = end + 1;
        return text;
    }

    private long Long(int count)
    {
        if (count > 8) throw Bad("an integer in the pickle is wider than 64 bits");
        var bytes = Bytes(count);
        long value = 0;
        for (int i = count - 1; i >= 0; i--) value = (value << 8) | bytes[i];
        if (count is > 0 and < 8 && (bytes[count - 1] & 0x80) != 0) value -= 1L << (8 * count);
        return value;
    }

    private PickleGlobal Global(string module, string name)
    {
        var g = new PickleGlobal(module, name);
        if (!AllowedGlobals.Contains(g.ToString()))
            throw Bad($"the pickle names the global '{g}', which is outside the tensor-rebuild set and is refused " +
                "(only weights are loaded from checkpoints, never code)");
        return g;
    }

    private void Push(object? value)
    {
        if (_stack.Count >= _data.Length + 16) throw Bad("the pickle's stack grows beyond its size");
        _stack.Add(value);
    }

    private object? Peek() => _stack.Count > 0 && (_marks.Count == 0 || _marks.Peek() < _stack.Count)
        ? _stack[^1] : throw Bad("the pickle's stack is empty where a value is needed");

    private object? Pop()
    {
        var value = Peek();
        _stack.RemoveAt(_stack.Count - 1);
        return value;
    }

    private List<object?> PopMark()
    {
        if (_marks.Count == 0) throw Bad("the pickle has no MARK where one is needed");
        int start = _marks.Pop();
        var items = _stack.GetRange(start, _stack.Count - start);
        _stack.RemoveRange(start, _stack.Count - start);
        return items;
    }

    private object? Memo(long key) => _memo.TryGetValue(key, out var v) ? v : throw Bad($"the pickle reads memo {key} before writing it");

    private List<object?> List(object? o) => o as List<object?> ?? throw Bad("the pickle appends to something that is not a list");

    private Dictionary<object, object?> Dict(object? o) =>
        o as Dictionary<object, object?> ?? throw Bad("the pickle sets an item on something that is not a dict");

    private object?[] Tuple(object? o) => o as object?[] ?? throw Bad("the pickle calls with arguments that are not a tuple");

    private PickleGlobal Callable(object? o) => o as PickleGlobal ?? throw Bad("the pickle calls something that is not an allowed global");

    private string Str(object? o) => o as string ?? throw Bad("STACK_GLOBAL needs two strings");

    private Dictionary<object, object?> SetItems(Dictionary<object, object?> dict, List<object?> items)
    {
        if (items.Count % 2 != 0) throw Bad("the pickle sets a key without a value");
        for (int i = 0; i < items.Count; i += 2)
        {
            var key = items[i] is string or long or bool or double ? items[i]! : throw Bad("the pickle uses a dict key that is not a str or int");
            dict[key] = items[i + 1];
        }
        return dict;
    }

    private void Build()
    {
        var state = Pop();
        var target = Peek();
        if (target is Dictionary<object, object?> d && state is Dictionary<object, object?> s)
            foreach (var (k, v) in s) d[k] = v;
        else if (state is not null)
            throw Bad("the pickle sets object state (BUILD) on something other than a dict");
    }
}
