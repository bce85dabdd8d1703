// wit-bindgen c's output references __component_type_object_force_link_<world> so that its
// <world>_component_type.o (the component-type custom section) gets linked. lepton's build uses
// `wit-bindgen c --no-object-file` and adds that section with `wasm-tools component embed`
// instead, so this stub satisfies the reference. Compile with -DLEPTON_WIT_WORLD=<world>.
#define LEPTON_CAT2(a, b) a##b
#define LEPTON_CAT(a, b) LEPTON_CAT2(a, b)

void LEPTON_CAT(__component_type_object_force_link_, LEPTON_WIT_WORLD)(void);
void LEPTON_CAT(__component_type_object_force_link_, LEPTON_WIT_WORLD)(void) {}
