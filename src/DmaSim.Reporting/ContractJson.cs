using System.Text.Encodings.Web;
using System.Text.Json;

namespace DmaSim.Reporting;

/// <summary>
/// Serializer options shared by the source-generated JSON contexts of the report writers. The attribute
/// (<c>JsonSourceGenerationOptions</c>) cannot name an encoder, so a context that writes without \uXXXX escapes is
/// built from these options.
/// </summary>
internal static class ContractJson
{
    /// <summary>Without \uXXXX escapes for quotes, '&lt;', '+' and '§': the JSON is read by people and by tools alike.</summary>
    internal static JavaScriptEncoder Relaxed => JavaScriptEncoder.UnsafeRelaxedJsonEscaping;

    /// <summary>camelCase names in declaration order, nulls written (a contract type opts a property out).</summary>
    internal static JsonSerializerOptions Options(bool indented, JavaScriptEncoder? encoder) => new()
    {
        WriteIndented = indented,
        PropertyNamingPolicy = JsonNamingPolicy.CamelCase,
        Encoder = encoder,
    };
}
