using System.Collections.Immutable;
using System.Reflection;
using System.Reflection.Emit;
using System.Reflection.Metadata;
using System.Reflection.Metadata.Ecma335;
using System.Reflection.PortableExecutable;

namespace FastAttn.Engine.Tests.Robustness;

/// <summary>One call instruction: who calls (<c>Namespace.Type::Method</c>) and what (<c>Type::Name(ParamTypes)</c>).</summary>
public sealed record IlCall(string Caller, string Callee);

/// <summary>
/// Reads the IL of an assembly with System.Reflection.Metadata (nothing is loaded or run) and lists its
/// call/callvirt/newobj/ldftn instructions. Callees are named by their declaring type's short name, their name and
/// their parameter types' short names, e.g. <c>Tensor::add(Tensor,Scalar)</c>, so a definition in one assembly and a
/// reference to it from another get the same name.
/// </summary>
public static class IlCallScanner
{
    private static readonly Dictionary<short, OpCode> OpCodesByValue = typeof(OpCodes)
        .GetFields(BindingFlags.Public | BindingFlags.Static)
        .Select(f => (OpCode)f.GetValue(null)!)
        .ToDictionary(op => op.Value);

    /// <summary>Every call in every method body of the assembly at <paramref name="path"/>.</summary>
    public static List<IlCall> Calls(string path)
    {
        using var pe = new PEReader(File.OpenRead(path));
        var md = pe.GetMetadataReader();
        var calls = new List<IlCall>();
        foreach (var handle in md.MethodDefinitions)
        {
            var method = md.GetMethodDefinition(handle);
            if (method.RelativeVirtualAddress == 0) continue;
            var caller = CallerName(md, method);
            var il = pe.GetMethodBody(method.RelativeVirtualAddress).GetILBytes() ?? [];
            foreach (var token in CallTokens(il))
            {
                var callee = CalleeName(md, MetadataTokens.EntityHandle(token));
                if (callee is not null) calls.Add(new IlCall(caller, callee));
            }
        }
        return calls;
    }

    /// <summary>
    /// The methods of an assembly (named as callees are) that reach a call to one of <paramref name="seeds"/>,
    /// directly or through other methods of the same assembly; the seeds' own declaring types are left out.
    /// </summary>
    public static HashSet<string> Reaching(string path, Func<string, bool> seeds, Func<string, bool> skipCaller)
    {
        using var pe = new PEReader(File.OpenRead(path));
        var md = pe.GetMetadataReader();
        var callers = new Dictionary<string, HashSet<string>>();
        var reached = new HashSet<string>();
        foreach (var handle in md.MethodDefinitions)
        {
            var method = md.GetMethodDefinition(handle);
            if (method.RelativeVirtualAddress == 0) continue;
            var self = CalleeName(md, handle)!;
            if (skipCaller(self)) continue;
            var il = pe.GetMethodBody(method.RelativeVirtualAddress).GetILBytes() ?? [];
            foreach (var token in CallTokens(il))
            {
                var callee = CalleeName(md, MetadataTokens.EntityHandle(token));
                if (callee is null) continue;
                if (seeds(callee)) reached.Add(self);
                if (!callers.TryGetValue(callee, out var set)) callers[callee] = set = [];
                set.Add(self);
            }
        }
        var work = new Queue<string>(reached);
        while (work.TryDequeue(out var name))
        {
            if (!callers.TryGetValue(name, out var set)) continue;
            foreach (var caller in set)
                if (reached.Add(caller)) work.Enqueue(caller);
        }
        return reached;
    }

    private static IEnumerable<int> CallTokens(byte[] il)
    {
        int i = 0;
        while (i < il.Length)
        {
            short value = il[i] == 0xFE ? (short)(0xFE00 | il[i + 1]) : il[i];
            var op = OpCodesByValue[value];
            i += op.Size;
            if (op == OpCodes.Call || op == OpCodes.Callvirt || op == OpCodes.Newobj || op == OpCodes.Ldftn)
                yield return BitConverter.ToInt32(il, i);
            i += op.OperandType switch
            {
                OperandType.InlineNone => 0,
                OperandType.ShortInlineBrTarget or OperandType.ShortInlineI or OperandType.ShortInlineVar => 1,
                OperandType.InlineVar => 2,
                OperandType.InlineI8 or OperandType.InlineR => 8,
                OperandType.InlineSwitch => 4 + 4 * BitConverter.ToInt32(il, i),
                _ => 4,
            };
        }
    }

    private static string CallerName(MetadataReader md, MethodDefinition method)
    {
        var type = md.GetTypeDefinition(method.GetDeclaringType());
        var name = md.GetString(type.Name);
        while (type.IsNested)
        {
            type = md.GetTypeDefinition(type.GetDeclaringType());
            name = md.GetString(type.Name) + "+" + name;
        }
        return md.GetString(type.Namespace) + "." + name + "::" + md.GetString(method.Name);
    }

    private static string? CalleeName(MetadataReader md, EntityHandle handle)
    {
        var provider = new ShortNames();
        switch (handle.Kind)
        {
            case HandleKind.MethodDefinition:
                var def = md.GetMethodDefinition((MethodDefinitionHandle)handle);
                var type = md.GetString(md.GetTypeDefinition(def.GetDeclaringType()).Name);
                return Format(type, md.GetString(def.Name), def.DecodeSignature(provider, null));
            case HandleKind.MemberReference:
                var r = md.GetMemberReference((MemberReferenceHandle)handle);
                if (r.GetKind() != MemberReferenceKind.Method) return null;
                var parent = r.Parent.Kind switch
                {
                    HandleKind.TypeReference => md.GetString(md.GetTypeReference((TypeReferenceHandle)r.Parent).Name),
                    HandleKind.TypeDefinition => md.GetString(md.GetTypeDefinition((TypeDefinitionHandle)r.Parent).Name),
                    HandleKind.TypeSpecification => md.GetTypeSpecification((TypeSpecificationHandle)r.Parent)
                        .DecodeSignature(provider, null),
                    _ => "?",
                };
                return Format(parent, md.GetString(r.Name), r.DecodeMethodSignature(provider, null));
            case HandleKind.MethodSpecification:
                return CalleeName(md, md.GetMethodSpecification((MethodSpecificationHandle)handle).Method);
            default:
                return null;
        }
    }

    private static string Format(string type, string name, MethodSignature<string> sig) =>
        $"{StripGenericArgs(type)}::{name}({string.Join(",", sig.ParameterTypes)})";

    private static string StripGenericArgs(string type) => type.Split('<')[0];

    /// <summary>Short type names for signatures: <c>Tensor</c>, <c>Scalar</c>, <c>Int64[]</c>, <c>Nullable`1&lt;Double&gt;</c>.</summary>
    private sealed class ShortNames : ISignatureTypeProvider<string, object?>
    {
        public string GetArrayType(string elementType, ArrayShape shape) => elementType + "[,]";
        public string GetByReferenceType(string elementType) => elementType + "&";
        public string GetFunctionPointerType(MethodSignature<string> signature) => "fnptr";
        public string GetGenericInstantiation(string genericType, ImmutableArray<string> typeArguments) =>
            $"{genericType}<{string.Join(",", typeArguments)}>";
        public string GetGenericMethodParameter(object? genericContext, int index) => "!!" + index;
        public string GetGenericTypeParameter(object? genericContext, int index) => "!" + index;
        public string GetModifiedType(string modifier, string unmodifiedType, bool isRequired) => unmodifiedType;
        public string GetPinnedType(string elementType) => elementType;
        public string GetPointerType(string elementType) => elementType + "*";
        public string GetPrimitiveType(PrimitiveTypeCode typeCode) => typeCode.ToString();
        public string GetSZArrayType(string elementType) => elementType + "[]";
        public string GetTypeFromDefinition(MetadataReader reader, TypeDefinitionHandle handle, byte rawTypeKind) =>
            reader.GetString(reader.GetTypeDefinition(handle).Name);
        public string GetTypeFromReference(MetadataReader reader, TypeReferenceHandle handle, byte rawTypeKind) =>
            reader.GetString(reader.GetTypeReference(handle).Name);
        public string GetTypeFromSpecification(MetadataReader reader, object? genericContext,
            TypeSpecificationHandle handle, byte rawTypeKind) =>
            reader.GetTypeSpecification(handle).DecodeSignature(this, genericContext);
    }
}
