/* geo_screen map helpers, loaded by geo_screen.mapview before each map's script.
 *
 * window.geoScreen.enterprises(map, data, options) -> a layer of canvas circle markers (clustered when asked)
 * window.geoScreen.vector(geojson, options)    -> a zone / target / buffer layer with text tooltips
 * window.geoScreen.legend(items, options)      -> a legend control
 * window.geoScreen.keepBelow(map, layers)      -> keeps zone layers under the enterprise markers
 * window.geoScreen.fit(map, bounds, options)   -> frames bounds, again on resize until the view is moved
 * window.geoScreen.controls(map, options)      -> wheel zoom only after a click; a metric scale bar; the measure tool
 * window.geoScreen.focus(map, lat, lon, zoom)  -> centres a point at zoom >= zoom, after any zoom under way
 *
 * Text from the data is only ever set with textContent (names come from user files). No network access.
 */
(function () {
  "use strict";

  function tip(lines) {
    var div = document.createElement("div");
    div.className = "gs-tip";
    div.textContent = lines.filter(function (s) { return s !== null && s !== undefined && s !== ""; }).join("\n");
    return div;
  }

  function clusterIcon(styles) {
    return function (cluster) {
      var children = cluster.getAllChildMarkers();
      var worst = styles.length - 1;
      for (var i = 0; i < children.length; i++) {
        var d = children[i].options.gsDisposition;
        if (d < worst) { worst = d; }
      }
      var n = cluster.getChildCount();
      var size = n < 100 ? 34 : (n < 1000 ? 40 : 48);
      var html = '<div style="border-color:' + styles[worst].fill + '"><span>' + n + "</span></div>";
      return L.divIcon({ html: html, className: "gs-cluster", iconSize: L.point(size, size) });
    };
  }

  /* data: {lat: [], lon: [], d: [style index], name: [], key: [], styles: [{fill, stroke, radius, opacity, label}],
   *        note: [a line per enterprise, optional]}
   * The tooltip's last line is the enterprise key: geo_screen.app.mapview.key_from_tooltip reads it back. */
  function enterprises(map, data, options) {
    var styles = data.styles;
    var n = data.lat.length;
    var markers = new Array(n);
    for (var i = 0; i < n; i++) {
      var s = styles[data.d[i]];
      markers[i] = L.circleMarker([data.lat[i], data.lon[i]], {
        radius: s.radius, color: s.stroke, weight: 1, opacity: 0.9, fillColor: s.fill,
        fillOpacity: s.opacity, gsIndex: i, gsDisposition: data.d[i]
      });
    }
    var group;
    if (options.cluster) {
      group = L.markerClusterGroup({
        chunkedLoading: true, chunkInterval: 250, maxClusterRadius: 50, disableClusteringAtZoom: options.clusterOffAt,
        showCoverageOnHover: false, spiderfyOnMaxZoom: false, iconCreateFunction: clusterIcon(styles),
        chunkProgress: function (processed, total) { group.gsLoaded = processed >= total; }
      });
      group.gsLoaded = false;
      if (map) {
        group.addTo(map);           // clustering on the map, in chunks, is ~4x faster than before adding
      }
      group.addLayers(markers);
    } else {
      group = L.featureGroup(markers);
      group.gsLoaded = true;
    }
    group.bindTooltip(function (layer) {
      var k = layer.options.gsIndex;
      if (k === undefined) { return tip([]); }
      return tip([data.name[k], styles[data.d[k]].label, data.note ? data.note[k] : null, data.key[k]]);
    }, { direction: "top", offset: [0, -4] });
    group.gsCount = n;
    group.gsClustered = !!options.cluster;
    window.gsEnterprises = group;
    return group;
  }

  /* geojson features carry properties.tip (lines joined by "\n"); options: {style, interactive, title, note}. */
  function vector(geojson, options) {
    var style = options.style;
    var layer = L.geoJSON(geojson, {
      style: function () { return style; },
      interactive: options.interactive,
      pointToLayer: function (feature, latlng) {
        if (style.symbol === "diamond") {   // sensitive targets: a symbol of their own, never a disposition's dot
          var icon = L.divIcon({ className: "gs-diamond", iconSize: [10, 10],
            html: '<span style="border-color:' + style.color + ";background:" + style.fillColor + '"></span>' });
          return L.marker(latlng, { icon: icon, interactive: options.interactive, keyboard: false });
        }
        return L.circleMarker(latlng, L.extend({ radius: 5, interactive: options.interactive }, style));
      }
    });
    if (options.interactive) {
      layer.bindTooltip(function (l) {
        var text = (l.feature && l.feature.properties && l.feature.properties.tip) || "";
        return tip(text.split("\n"));
      }, { sticky: true });
    }
    if (options.note) {   // a note about the layer, shown only while the layer is on the map
      var note = L.control({ position: "bottomright" });
      note.onAdd = function () {
        var div = L.DomUtil.create("div", "gs-note");
        div.textContent = options.note;
        return div;
      };
      layer.on("add", function () { if (layer._map) { note.addTo(layer._map); } });
      layer.on("remove", function () { note.remove(); });
      layer.gsNote = note;
    }
    layer.gsZone = true;
    layer.gsTitle = options.title;
    return layer;
  }

  function legend(items, options) {
    var control = L.control({ position: options.position || "bottomleft" });
    control.onAdd = function () {
      var div = L.DomUtil.create("div", "gs-legend");
      var title = L.DomUtil.create("div", "gs-legend-title", div);
      title.textContent = options.title;
      var zonesTitled = false;
      items.forEach(function (item) {
        if (item.zone && !zonesTitled) {
          zonesTitled = true;
          L.DomUtil.create("div", "gs-legend-title gs-legend-zones", div).textContent = "图层";
        }
        var kind = item.zone ? " gs-legend-zone" : "";
        var row = L.DomUtil.create("div", "gs-legend-row" + kind + (item.count === 0 ? " gs-legend-zero" : ""), div);
        var swatch = L.DomUtil.create("span", "gs-swatch" + (item.symbol ? " gs-swatch-" + item.symbol : ""), row);
        swatch.style.background = item.fill;
        swatch.style.borderColor = item.stroke;
        if (item.dash) { swatch.style.borderStyle = "dashed"; }
        var label = L.DomUtil.create("span", "gs-legend-label", row);
        label.textContent = item.label;
        if (item.count !== null && item.count !== undefined) {
          var count = L.DomUtil.create("span", "gs-legend-count", row);
          count.textContent = item.count.toLocaleString();
        }
      });
      L.DomEvent.disableClickPropagation(div);
      L.DomEvent.disableScrollPropagation(div);
      return div;
    };
    return control;
  }

  /* All paths share one canvas; the last drawn wins a click. Zone layers switched on again go to the back. */
  function keepBelow(map) {
    map.on("overlayadd", function (e) {
      if (e.layer && e.layer.gsZone && typeof e.layer.bringToBack === "function") { e.layer.bringToBack(); }
    });
  }

  /* The wheel scrolls the page until the map is clicked, and again once the pointer leaves it; the scale is metric;
   * the measure tool (vendored leaflet-measure) when options.measure is given. */
  function controls(map, options) {
    map.scrollWheelZoom.disable();
    map.on("click", function () { map.scrollWheelZoom.enable(); });
    map.on("mouseout", function () { map.scrollWheelZoom.disable(); });
    L.control.scale({ imperial: !!options.imperial, metric: true, position: options.scalePosition }).addTo(map);
    if (options.measure && L.control.measure) {
      // leaflet-measure styles its vertices through their SVG paths (layer._path); the map draws on a canvas
      // (preferCanvas), so the measure's own shapes get an SVG renderer
      var measure = L.control.measure(options.measure), symbols = measure._symbols, svg = L.svg();
      var getSymbol = symbols.getSymbol;
      symbols.getSymbol = function (name) { return L.extend({ renderer: svg }, getSymbol.call(symbols, name)); };
      map.gsMeasure = measure.addTo(map);
    }
  }

  /* Frame bounds; when the map's size changes (the page lays out its columns after the map is built) frame them
   * again, unless the view was moved since (a pan, a zoom, a selection). */
  function fit(map, bounds, options) {
    var framed = null;
    function view() { return map.getCenter().toString() + "@" + map.getZoom(); }
    function apply() { map.fitBounds(bounds, L.extend({ animate: false }, options)); framed = view(); }
    apply();
    map.gsFitBounds = L.latLngBounds(bounds);
    map.on("resize", function () { if (framed === view()) { apply(); } });
  }

  /* Centre [lat, lon] at zoom >= minZoom (a closer zoom is kept). Leaflet ignores a setView made while a zoom
   * animation runs (it ends at that animation's view), so a zoom under way (the first framing on a page opened
   * with a selection) is let finish first. */
  function focus(map, lat, lon, minZoom) {
    function go() { map.setView([lat, lon], Math.max(map.getZoom(), minZoom), { animate: false }); }
    if (map._animatingZoom) { map.once("zoomend", go); } else { go(); }
  }

  window.geoScreen = {
    enterprises: enterprises, vector: vector, legend: legend, keepBelow: keepBelow, controls: controls, tip: tip,
    fit: fit, focus: focus
  };
})();
