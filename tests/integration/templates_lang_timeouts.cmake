# Included by ctest after the discovered gtest cases (tests/CMakeLists.txt, TEST_INCLUDE_FILES):
# the language template tests npm-install the Spin JS SDK and compile 12-40 MB components on their
# first `lepton up`, more than the 300 s every other case gets on a loaded machine.
set_tests_properties(LangTemplates.HttpJsFromNewToFirst200 LangTemplates.HttpTsFromNewToFirst200
                     LangTemplates.HttpPyFromNewToFirst200 PROPERTIES TIMEOUT 1200)
