using System.ComponentModel.DataAnnotations;
using System.Globalization;
using System.Reflection;

namespace Drechtsteden.Decisions.Input;

/// <summary>An absolute http(s) address, as a document link must be.</summary>
[AttributeUsage(AttributeTargets.Property | AttributeTargets.Parameter)]
public sealed class HttpUrlAttribute : ValidationAttribute
{
    public override bool IsValid(object? value) =>
        value is not string { Length: > 0 } text || string.IsNullOrWhiteSpace(text)
        || (Uri.TryCreate(text.Trim(), UriKind.Absolute, out var uri) && uri.Scheme is "http" or "https");
}

/// <summary>
/// Checks a command's fields against the limits and formats declared on it (<see cref="StringLengthAttribute"/> with
/// a <see cref="Limits"/> constant, <see cref="HttpUrlAttribute"/>): the one place where input is held against the
/// shape the database takes. A violation is <see cref="DomainErrorKind.BadInput"/> (400) and names the field as the
/// API spells it (camelCase).
/// </summary>
public static class CommandInput
{
    public const string TooLong = "too-long";
    public const string UrlInvalid = "document-url-invalid";
    public const string ControlCharacter = "control-character";

    public static void Validate(object command)
    {
        foreach (var property in command.GetType().GetProperties(BindingFlags.Public | BindingFlags.Instance))
        {
            var value = property.GetValue(command);
            if (value is string text && !IsPlainText(text))
            {
                throw new DomainException(DomainErrorKind.BadInput, ControlCharacter,
                    $"{JsonName(property.Name)} holds a control character or a broken character (only tab and line breaks are allowed).", JsonName(property.Name));
            }
            foreach (var attribute in property.GetCustomAttributes<ValidationAttribute>())
            {
                if (attribute.IsValid(value))
                    continue;
                var field = JsonName(property.Name);
                throw attribute switch
                {
                    StringLengthAttribute length => TooLongFor(field, length.MaximumLength),
                    HttpUrlAttribute => new DomainException(DomainErrorKind.BadInput, UrlInvalid, "The document link must be an http(s) address.", field),
                    _ => new DomainException(DomainErrorKind.BadInput, "input-invalid", $"{field} is not valid.", field),
                };
            }
        }
    }

    /// <summary>The refusal of a value longer than <paramref name="limit"/>; <c>Data["limit"]</c> carries the number for the Dutch text.</summary>
    public static DomainException TooLongFor(string field, int limit)
    {
        var e = new DomainException(DomainErrorKind.BadInput, TooLong,
            string.Create(CultureInfo.InvariantCulture, $"{field} may be at most {limit:N0} characters."), field);
        e.Data["limit"] = limit;
        return e;
    }

    /// <summary>
    /// Text a person can have typed: no control characters but tab, line feed and carriage return (PostgreSQL refuses
    /// NUL; the others hide in exports and mails), and no half of a surrogate pair (not valid UTF-8).
    /// </summary>
    public static bool IsPlainText(string text)
    {
        for (var i = 0; i < text.Length; i++)
        {
            var c = text[i];
            if (char.IsControl(c) && c is not ('\t' or '\n' or '\r'))
                return false;
            if (char.IsHighSurrogate(c) && (i + 1 >= text.Length || !char.IsLowSurrogate(text[++i])))
                return false;
            if (char.IsLowSurrogate(c))
                return false;
        }
        return true;
    }

    private static string JsonName(string name) => char.ToLowerInvariant(name[0]) + name[1..];
}
