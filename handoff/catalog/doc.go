// Package catalog is the matter catalogue (事项目录) of a Tongban hall: the
// matters its windows accept on behalf of the partner city, with their time
// limits and the materials an applicant must bring.
//
// Each hall's catalogue is a versioned JSON file under data/, embedded in
// the binary so that a hall always starts with a known list, and checked
// when it is loaded: a wrong limit or a duplicated material id in the data
// would otherwise surface only at the window, in front of an applicant.
package catalog
