// The parts of Leaflet the report form's pin map uses (static/js/place_map.js; the public and staff maps
// are LAPOR's own, static/js/report_map.js), bundled by scripts/build_leaflet.sh into
// static/vendor/leaflet/leaflet-lapor.min.js as the global `L`.
// A map with its tile layer, attribution and zoom controls; drag, keyboard, scroll-wheel, double-click
// and touch handlers; markers with DivIcons (the pin is drawn in CSS, no images); points and bounds.
// Not bundled: layer and feature groups, popups, tooltips, vector layers, GeoJSON, image/video
// overlays, the layers and scale controls, box zoom, tap-hold, marker dragging.
import {version} from 'leaflet/package.json';
import {Map} from 'leaflet/src/map/Map';
import {Drag} from 'leaflet/src/map/handler/Map.Drag';
import {Keyboard} from 'leaflet/src/map/handler/Map.Keyboard';
import {ScrollWheelZoom} from 'leaflet/src/map/handler/Map.ScrollWheelZoom';
import {DoubleClickZoom} from 'leaflet/src/map/handler/Map.DoubleClickZoom';
import {TouchZoom} from 'leaflet/src/map/handler/Map.TouchZoom';
import 'leaflet/src/control/Control.Zoom';
import 'leaflet/src/control/Control.Attribution';

Map.Drag = Drag;
Map.Keyboard = Keyboard;
Map.ScrollWheelZoom = ScrollWheelZoom;
Map.DoubleClickZoom = DoubleClickZoom;
Map.TouchZoom = TouchZoom;

export {version};
export {Map, createMap as map} from 'leaflet/src/map/Map';
export {TileLayer, tileLayer} from 'leaflet/src/layer/tile/TileLayer';
export {DivIcon, divIcon} from 'leaflet/src/layer/marker/DivIcon';
export {Marker, marker} from 'leaflet/src/layer/marker/Marker';
export {Point, toPoint as point} from 'leaflet/src/geometry/Point';
export {LatLng, toLatLng as latLng} from 'leaflet/src/geo/LatLng';
export {LatLngBounds, toLatLngBounds as latLngBounds} from 'leaflet/src/geo/LatLngBounds';
