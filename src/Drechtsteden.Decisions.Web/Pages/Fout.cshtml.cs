using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Mvc.RazorPages;

namespace Drechtsteden.Decisions.Web.Pages;

/// <summary>The Dutch page for an HTTP error of a page (the API answers problem details instead).</summary>
[AllowAnonymous]
[Microsoft.AspNetCore.Mvc.IgnoreAntiforgeryToken]
public sealed class FoutModel : PageModel
{
    public string Heading { get; private set; } = "";
    public string Explanation { get; private set; } = "";

    public void OnGet(int code) => Describe(code);

    public void OnPost(int code) => Describe(code);

    private void Describe(int code)
    {
        (Heading, Explanation) = code switch
        {
            403 => ("Geen toegang", "Deze pagina hoort niet bij uw rol of gemeente."),
            404 => ("Niet gevonden", "Deze pagina of dit proces bestaat niet, of u mag het niet zien."),
            400 => ("Ongeldig verzoek", "Het formulier was verlopen of onvolledig. Ga terug, laad de pagina opnieuw en probeer het nog eens."),
            503 => ("Tijdelijk niet beschikbaar", "De database is even niet bereikbaar. Probeer het over enkele seconden opnieuw."),
            _ => ("Er ging iets mis", "Probeer het opnieuw. Blijft het misgaan, neem dan contact op met de beheerder."),
        };
        if (HttpContext.Features.Get<Microsoft.AspNetCore.Diagnostics.IStatusCodeReExecuteFeature>() is null)
            Response.StatusCode = code is >= 400 and < 600 ? code : 200;
    }
}
