using System.Buffers;
using System.Text.Encodings.Web;
using System.Text.Json;
using System.Text.Json.Serialization;
using System.Text.Json.Serialization.Metadata;
using Drechtsteden.Decisions.Web.Processes;
using Microsoft.Extensions.Options;

namespace Drechtsteden.Decisions.Web.Api;

/// <summary>
/// Source-generated JSON for the answers read most — the process list and the process resource — written by the
/// generated writer directly (<see cref="JsonTypeInfo{T}.SerializeHandler"/>: no converter or metadata walk per
/// property). The serializer uses that writer only for options without an encoder, and the API's options have one
/// (ASP.NET's relaxed escaping for answers written straight to the response), so <see cref="Write{T}"/> calls it with a
/// writer that has the API's encoder. The bytes are exactly what the API's configured options write for the same value
/// (<c>ApiJsonTests</c>); every other answer goes through those options.
/// </summary>
[JsonSourceGenerationOptions(JsonSerializerDefaults.Web, UseStringEnumConverter = true)]
[JsonSerializable(typeof(List<ProcessSummary>))]
[JsonSerializable(typeof(ProcessDto))]
public sealed partial class ApiJson : JsonSerializerContext
{
    /// <summary>Writes <paramref name="value"/> as the API's options would, with the generated writer, to <paramref name="output"/>.</summary>
    public static void Write<T>(IBufferWriter<byte> output, T value, JsonTypeInfo<T> info, JavaScriptEncoder? encoder)
    {
        using var writer = new Utf8JsonWriter(output, new JsonWriterOptions { Encoder = encoder, SkipValidation = true });
        if (info.SerializeHandler is { } handler)
            handler(writer, value);
        else
            JsonSerializer.Serialize(writer, value, info);
        writer.Flush();
    }

    /// <summary>200 with <paramref name="value"/> as JSON, written by the generated writer.</summary>
    public static Generated<T> Ok<T>(T value, JsonTypeInfo<T> info) => new(value, info);

    public sealed class Generated<T>(T value, JsonTypeInfo<T> info) : IResult
    {
        public async Task ExecuteAsync(HttpContext httpContext)
        {
            var encoder = httpContext.RequestServices.GetRequiredService<IOptions<Microsoft.AspNetCore.Http.Json.JsonOptions>>().Value.SerializerOptions.Encoder;
            httpContext.Response.StatusCode = StatusCodes.Status200OK;
            httpContext.Response.ContentType = "application/json; charset=utf-8";
            Write(httpContext.Response.BodyWriter, value, info, encoder);
            await httpContext.Response.BodyWriter.FlushAsync(httpContext.RequestAborted);
        }
    }
}
