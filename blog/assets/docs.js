// Starts Swagger UI on the /docs page (blog/templates/docs.html), which gives the OpenAPI
// document's URL in the data-url of the element Swagger UI is drawn in.
window.addEventListener("load", function () {
  SwaggerUIBundle({
    url: document.getElementById("swagger-ui").dataset.url,
    dom_id: "#swagger-ui",
    deepLinking: true,
    presets: [SwaggerUIBundle.presets.apis, SwaggerUIStandalonePreset],
    plugins: [SwaggerUIBundle.plugins.DownloadUrl],
    layout: "BaseLayout",
  });
});
